"""API keys in Redis: made, listed and revoked by operators, checked on every request.

Redis holds only the SHA-256 of a key. A key is 256 random bits, so its plain hash is as good
as a keyed one: no one can guess a key from its digest. A presented key is found by its digest
(each process trusts a key it has read for KEY_CACHE_S, so a revoke holds on every instance
within that, and at once in the process that revokes); a missing key is hashed and looked up
the same way as a wrong one, so it answers in about the same time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis

from webapp.clock import now_iso
from webapp.jobs.keys import Keys
from webapp.jobs.limits import Limits

# What a tenant name may be: it goes into Redis key names and log lines as it is.
TENANT_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
# What every key starts with, so a leaked one is easy to recognise (secret scanners, logs).
KEY_PREFIX = "lok_"
# How often (seconds) one process writes a key's last-used time.
LAST_USED_EVERY_S = 60.0
# How long (seconds) one process trusts a key it has read: a status read with a known key makes
# no second Redis round trip (it cost a quarter of the status reads a second); a revoke holds
# on every instance within this.
KEY_CACHE_S = 2.0


class KeyExistsError(ValueError):
    """A tenant with this name already has a key."""


@dataclass(frozen=True)
class Tenant:
    """A caller of the API, and its limits."""

    name: str
    limits: Limits


@dataclass(frozen=True)
class KeyInfo:
    """What `keys list` shows of one key (never the key)."""

    name: str
    max_pending: int | None
    max_running: int | None
    rate_per_s: float | None
    created_at: str
    last_used_at: str | None


def digest(key: str) -> str:
    """The SHA-256 of a key, as stored."""
    return hashlib.sha256(key.encode()).hexdigest()


def bearer_key(authorization: str | None) -> str:
    """The key of an `Authorization: Bearer <key>` header ('' when there is none)."""
    scheme, _, key = (authorization or "").partition(" ")
    return key.strip() if scheme.lower() == "bearer" else ""


class ApiKeys:
    """The API keys of one deployment (one key prefix)."""

    def __init__(
        self, redis_client: Callable[[], redis.Redis], keys: Keys, defaults: Limits
    ) -> None:
        self._redis_client = redis_client
        self.keys = keys
        self.defaults = defaults
        self._used_written: dict[str, float] = {}
        self._known: dict[str, tuple[float, Tenant]] = {}  # digest -> (read at, tenant)
        self._lock = threading.Lock()

    @property
    def redis(self) -> redis.Redis:
        """The client (its pool is built in the process that first asks)."""
        return self._redis_client()

    def create(
        self,
        name: str,
        *,
        max_pending: int | None = None,
        max_running: int | None = None,
        rate_per_s: float | None = None,
    ) -> str:
        """Make a key for tenant `name` and return it (the only time it is seen);
        KeyExistsError when the tenant has one."""
        if not TENANT_NAME.fullmatch(name):
            raise ValueError("a tenant name is 1-64 of [A-Za-z0-9._-]")
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        key_digest = digest(key)
        if not self.redis.hsetnx(self.keys.api_keys, name, key_digest):
            raise KeyExistsError(f"tenant {name!r} already has a key; revoke it first")
        limits = {"max_pending": max_pending, "max_running": max_running, "rate": rate_per_s}
        record = {"name": name, "digest": key_digest, "created_at": now_iso()}
        record.update({field: str(value) for field, value in limits.items() if value is not None})
        self.redis.hset(self.keys.api_key(key_digest), mapping=record)
        return key

    def revoke(self, name: str) -> bool:
        """Delete the key of tenant `name`; False when it has none."""
        key_digest = self.redis.hget(self.keys.api_keys, name)
        if key_digest is None:
            return False
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self.keys.api_key(key_digest.decode()))
            pipe.hdel(self.keys.api_keys, name)
            pipe.hdel(self.keys.api_keys_used, name)
            pipe.execute()
        self._known.pop(key_digest.decode(), None)
        return True

    def list(self) -> list[KeyInfo]:
        """Every key's tenant, limits, creation and last-used time, by name."""
        index = self.redis.hgetall(self.keys.api_keys)
        used = self.redis.hgetall(self.keys.api_keys_used)
        infos = []
        for name, key_digest in sorted(index.items()):
            raw = _text(self.redis.hgetall(self.keys.api_key(key_digest.decode())))
            infos.append(
                KeyInfo(
                    name=name.decode(),
                    max_pending=_int(raw.get("max_pending")),
                    max_running=_int(raw.get("max_running")),
                    rate_per_s=float(raw["rate"]) if raw.get("rate") else None,
                    created_at=raw.get("created_at", ""),
                    last_used_at=used[name].decode() if name in used else None,
                )
            )
        return infos

    def authenticate(self, presented: str) -> Tenant | None:
        """The tenant whose key is `presented`, or None (missing, wrong or revoked)."""
        presented_digest = digest(presented)
        now = time.monotonic()
        known = self._known.get(presented_digest)
        if presented and known is not None and now - known[0] < KEY_CACHE_S:
            self._note_use(known[1].name)
            return known[1]
        raw = _text(self.redis.hgetall(self.keys.api_key(presented_digest)))
        stored = raw.get("digest", "")
        # The lookup already matched the digest; comparing again in constant time keeps a
        # record that somehow holds another digest from letting anyone in.
        if not hmac.compare_digest(stored.encode(), presented_digest.encode()) or not presented:
            return None
        self._note_use(raw["name"])
        tenant = Tenant(name=raw["name"], limits=self.limits_of(raw))
        self._known[presented_digest] = (now, tenant)
        return tenant

    def limits_of(self, raw: dict[str, str]) -> Limits:
        """A key's own limits, the defaults where it sets none."""
        rate = float(raw["rate"]) if raw.get("rate") else self.defaults.rate_per_s
        return Limits(
            max_pending=_int(raw.get("max_pending")) or self.defaults.max_pending,
            max_running=_int(raw.get("max_running")) or self.defaults.max_running,
            rate_per_s=rate,
            burst=max(self.defaults.burst, 1),
        )

    def _note_use(self, name: str) -> None:
        """Write the last-used time at most once a LAST_USED_EVERY_S per process."""
        now = time.monotonic()
        with self._lock:
            if now - self._used_written.get(name, -LAST_USED_EVERY_S) < LAST_USED_EVERY_S:
                return
            self._used_written[name] = now
        self.redis.hset(self.keys.api_keys_used, name, now_iso())


def _text(raw: dict[bytes, bytes]) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in raw.items()}


def _int(value: str | None) -> int | None:
    return int(value) if value else None
