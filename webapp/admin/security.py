"""Who may use the dashboard and how its pages protect themselves.

- HTTP Basic auth, user `admin` and ADMIN_PASSWORD, compared in constant time.
- CSRF: browsers resend Basic credentials on cross-site form posts, so every state change
  carries a token signed with a key derived from ADMIN_PASSWORD (itsdangerous), bound to the
  action and its subject (a job's run id, a tenant's name) and valid for TOKEN_MAX_AGE_S; every
  worker of every instance checks it without shared state.
- Headers: a CSP that allows no script at all, no framing, no caching of job pages.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Response, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

USER = "admin"
REALM = 'Basic realm="webapp admin", charset="UTF-8"'
TOKEN_MAX_AGE_S = 3600
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


def is_authorized(password: str) -> bool:
    """True when the request carries Basic credentials admin:<password> (constant time)."""
    auth = request.authorization
    if auth is None or auth.type != "basic":
        return False
    user_ok = hmac.compare_digest((auth.username or "").encode(), USER.encode())
    password_ok = hmac.compare_digest((auth.password or "").encode(), password.encode())
    return user_ok and password_ok


def challenge() -> Response:
    """401 asking the browser for Basic credentials."""
    response = Response("authentication required\n", 401, mimetype="text/plain")
    response.headers["WWW-Authenticate"] = REALM
    return response


class CsrfTokens:
    """Signed tokens for (action, subject), from a key derived from the admin password.

    The subject is what the action changes (a run id, a tenant name); action names differ per
    kind of subject, so a token for one never passes for the other."""

    def __init__(self, password: str) -> None:
        key = hashlib.sha256(b"webapp-admin-csrf\0" + password.encode()).hexdigest()
        self._serializer = URLSafeTimedSerializer(key, salt="admin-action")

    def issue(self, action: str, subject: str) -> str:
        return self._serializer.dumps([action, subject])

    def is_valid(self, token: str | None, action: str, subject: str) -> bool:
        if not token:
            return False
        try:
            value = self._serializer.loads(token, max_age=TOKEN_MAX_AGE_S)
        except BadSignature:  # includes SignatureExpired
            return False
        return value == [action, subject]


def secure_headers(response: Response) -> Response:
    """after_request of the dashboard: CSP without script, no framing, no caching."""
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response
