"""Who is calling: the request hook that names the tenant (AUTH_MODE) or answers 401.

none: every caller is the same anonymous tenant (None), as before tenants existed;
api_key: `Authorization: Bearer <key>`, checked against the digests in Redis;
header: a gateway authenticated the caller and named it in USER_ID_HEADER; the header is
believed only from TRUSTED_PROXIES, so a client that reaches the service directly cannot
claim to be anyone.

Health, readiness, metrics (its own METRICS_TOKEN), the OpenAPI document and the dashboard
(its own Basic auth) stay open; every other route, present and future, asks for a tenant.
"""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass

import structlog
from flask import Flask, g, request

from webapp.api.errors import Unauthorized
from webapp.clients.redis_client import get_redis
from webapp.config import Settings
from webapp.extensions import Key
from webapp.jobs.keys import Keys
from webapp.jobs.limits import Limits
from webapp.tenants.api_keys import TENANT_NAME, ApiKeys, Tenant, bearer_key

log = structlog.get_logger(__name__)

# Blueprints and endpoints that answer without a tenant.
OPEN_BLUEPRINTS = frozenset({"health", "openapi", "admin"})
OPEN_ENDPOINTS = frozenset({"metrics", "static"})


@dataclass(frozen=True)
class Auth:
    """The app's authentication mode, its key store and trusted proxies."""

    mode: str
    api_keys: ApiKeys
    defaults: Limits
    user_id_header: str
    metrics_token: str
    trusted: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]

    def tenant_of_request(self) -> Tenant | None:
        """The calling tenant (None in mode none); Unauthorized when there is none."""
        if self.mode == "none":
            return None
        if self.mode == "api_key":
            tenant = self.api_keys.authenticate(bearer_key(request.headers.get("Authorization")))
        else:
            tenant = self._tenant_from_gateway()
        if tenant is None:
            # One answer for a missing and a wrong key: nothing tells them apart.
            raise Unauthorized("a valid API key is required (Authorization: Bearer <key>)")
        return tenant

    def _tenant_from_gateway(self) -> Tenant | None:
        name = request.headers.get(self.user_id_header) if self.user_id_header else None
        if not name or not TENANT_NAME.fullmatch(name) or not self._from_trusted_proxy():
            return None
        return Tenant(name=name, limits=self.defaults)

    def _from_trusted_proxy(self) -> bool:
        try:
            address = ipaddress.ip_address(request.remote_addr or "")
        except ValueError:
            return False
        return any(address in network for network in self.trusted)


AUTH: Key[Auth] = Key("webapp.tenants", "webapp.tenants.auth.init_app")


def default_limits(settings: Settings) -> Limits:
    """The limits of a tenant whose key sets none."""
    return Limits(
        max_pending=settings.tenant_max_pending,
        max_running=settings.tenant_max_running,
        rate_per_s=settings.tenant_rate_per_s,
        burst=settings.tenant_rate_burst,
    )


def init_app(app: Flask, settings: Settings) -> Auth:
    """Name the tenant of every request (after the correlation hook, so a 401 is logged with
    its request id); warn at start when anyone may call."""
    defaults = default_limits(settings)
    auth = Auth(
        mode=settings.auth_mode,
        api_keys=ApiKeys(get_redis(app).client, Keys(settings.redis_key_prefix), defaults),
        defaults=defaults,
        user_id_header=settings.user_id_header,
        metrics_token=settings.metrics_token,
        trusted=tuple(ipaddress.ip_network(n, strict=False) for n in settings.trusted_proxies),
    )
    if auth.mode == "header" and not auth.user_id_header:
        raise ValueError("AUTH_MODE=header needs USER_ID_HEADER, the header the gateway sets")
    if auth.mode == "none":
        log.warning("auth_disabled", auth_mode="none", hint="anyone who reaches the API may use it")
    app.before_request(lambda: _name_tenant(auth))
    return AUTH.register(app, auth)


def _name_tenant(auth: Auth) -> None:
    if request.endpoint == "metrics" and auth.metrics_token:
        presented = bearer_key(request.headers.get("Authorization")).encode()
        if not hmac.compare_digest(presented, auth.metrics_token.encode()):
            raise Unauthorized("/metrics asks for METRICS_TOKEN (Authorization: Bearer <token>)")
        return
    if request.blueprint in OPEN_BLUEPRINTS or request.endpoint in OPEN_ENDPOINTS:
        return
    tenant = auth.tenant_of_request()
    g.tenant = tenant
    if tenant is not None:
        # The tenant scopes Idempotency-Keys and tags the request's logs, as a user id did.
        g.user_id = tenant.name
        structlog.contextvars.bind_contextvars(user_id=tenant.name)


def current_tenant() -> Tenant | None:
    """The tenant of the current request (None: mode none, everyone shares everything)."""
    return g.get("tenant")


def current_tenant_name() -> str | None:
    """The current tenant's name, or None in mode none."""
    tenant = current_tenant()
    return tenant.name if tenant is not None else None


def get_auth(app: Flask) -> Auth:
    """The app's Auth."""
    return AUTH.lookup(app)
