"""Passwords out of anything shown or logged: URLs, error messages, free text.

One helper for every place a connection string can surface (configuration errors, /ready,
logs, operator commands). It works on free text, not only on a well-formed URL, because the
same secrets turn up inside a redis-py or driver error message or inside a malformed URL that
no parser accepts.
"""

from __future__ import annotations

import re

MASK = "***"

# scheme://[user]:password@host — the userinfo part of any URL-looking token. The password runs
# to the last '@' before the next whitespace or double quote, since a password may itself hold
# '@' ('/' and '?' included: a malformed URL must not stop the match early) and "'" (legal in a
# URL's userinfo). A double quote is not legal there, and stopping at it keeps the match inside
# one string of a JSON log line.
_USERINFO = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^\s:@/\"]*):[^\s\"]*@")
# password=... in a query string (or anywhere in text), up to the next separator ("'" is part of
# the password, as above).
_QUERY_PASSWORD = re.compile(r"(?P<head>\bpassword=)[^&\s\"#]*", re.IGNORECASE)


def redact(text: object) -> str:
    """`text` (a URL, an error, anything) with every password replaced by ***."""
    shown = str(text)
    shown = _USERINFO.sub(lambda m: f"{m.group('head')}:{MASK}@", shown)
    return _QUERY_PASSWORD.sub(lambda m: f"{m.group('head')}{MASK}", shown)


def redact_secret(text: object, secret: str | None) -> str:
    """redact(text), and also any literal occurrence of `secret` (a configured password)."""
    shown = redact(text)
    if secret:
        shown = shown.replace(secret, MASK)
    return shown
