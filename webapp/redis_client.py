"""Redis connections as a Flask extension: one pool per process, built on first use.

The pool is created lazily in the process that uses it and rebuilt if the process id changes,
so a pool is never shared across a gunicorn fork (sockets shared by two processes interleave
replies). Transient connection errors are retried with jittered exponential backoff.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import redis
from flask import Flask
from redis.backoff import ExponentialWithJitterBackoff
from redis.retry import Retry

from webapp.config import Settings

EXTENSION_KEY = "webapp.redis"


@dataclass(frozen=True)
class RedisOptions:
    """How to reach Redis and how long to wait for it."""

    url: str
    max_connections: int = 50
    socket_timeout_s: float = 5.0
    connect_timeout_s: float = 5.0
    health_check_interval_s: int = 30
    retries: int = 2
    probe_timeout_s: float = 3.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RedisOptions:
        """The Redis part of the service settings."""
        return cls(
            url=settings.redis_url,
            max_connections=settings.redis_max_connections,
            socket_timeout_s=settings.redis_socket_timeout_s,
            connect_timeout_s=settings.redis_connect_timeout_s,
            health_check_interval_s=settings.redis_health_check_interval_s,
            retries=settings.redis_retries,
            probe_timeout_s=settings.ready_check_timeout_s,
        )


def redact_url(url: str) -> str:
    """The URL with any password replaced by ***, safe to log or show."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    netloc = f"{user}:***@{host}" if user else f":***@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


class RedisConnections:
    """Per-app holder of this process's Redis pools (jobs, and a small one for probes)."""

    def __init__(self, options: RedisOptions) -> None:
        self.options = options
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._client: redis.Redis | None = None
        self._probe_client: redis.Redis | None = None
        # Extra keyword arguments for every connection (tests plug in fakeredis here).
        self.extra_kwargs: dict[str, object] = {}

    @property
    def safe_url(self) -> str:
        """The configured URL without its password."""
        return redact_url(self.options.url)

    def client(self) -> redis.Redis:
        """The client for job traffic, backed by this process's pool."""
        self._ensure_pools()
        assert self._client is not None
        return self._client

    def probe_client(self) -> redis.Redis:
        """A client on its own two-connection pool: a saturated job pool cannot fail /ready."""
        self._ensure_pools()
        assert self._probe_client is not None
        return self._probe_client

    def close(self) -> None:
        """Disconnect this process's pools (safe to call twice)."""
        with self._lock:
            for client in (self._client, self._probe_client):
                if client is not None:
                    client.connection_pool.disconnect()
            self._client = self._probe_client = None
            self._pid = None

    def _ensure_pools(self) -> None:
        pid = os.getpid()
        if self._pid == pid:
            return
        with self._lock:
            if self._pid == pid:
                return
            self._client = redis.Redis(
                connection_pool=self._make_pool(self.options.max_connections)
            )
            self._probe_client = redis.Redis(
                connection_pool=self._make_pool(
                    2, retries=0, timeout_s=self.options.probe_timeout_s
                )
            )
            self._pid = pid

    def _make_pool(
        self,
        max_connections: int,
        retries: int | None = None,
        timeout_s: float | None = None,
    ) -> redis.ConnectionPool:
        opts = self.options
        socket_timeout = opts.socket_timeout_s if timeout_s is None else timeout_s
        connect_timeout = opts.connect_timeout_s if timeout_s is None else timeout_s
        # Retry refused/reset connections only: a timeout already waited the full socket
        # timeout, and retrying it would multiply how long a client waits for its 503.
        retry = Retry(
            ExponentialWithJitterBackoff(base=0.05, cap=0.5),
            opts.retries if retries is None else retries,
            supported_errors=(redis.ConnectionError,),
        )
        # Blocking: a burst waits (up to the socket timeout) for a free connection instead of
        # failing with "Too many connections".
        return redis.BlockingConnectionPool.from_url(
            opts.url,
            max_connections=max_connections,
            timeout=socket_timeout,
            socket_timeout=socket_timeout,
            socket_connect_timeout=connect_timeout,
            socket_keepalive=True,
            health_check_interval=opts.health_check_interval_s,
            retry=retry,
            **self.extra_kwargs,
        )


def init_app(app: Flask, options: RedisOptions) -> RedisConnections:
    """Register Redis connections on `app`; refuses a second registration."""
    if EXTENSION_KEY in app.extensions:
        raise RuntimeError("Redis is already registered on this app")
    connections = RedisConnections(options)
    app.extensions[EXTENSION_KEY] = connections
    return connections


def get_redis(app: Flask) -> RedisConnections:
    """The app's Redis connections."""
    try:
        return app.extensions[EXTENSION_KEY]
    except KeyError:
        raise RuntimeError(
            "Redis is not registered on this app: call redis_client.init_app"
        ) from None
