"""Redis connections as a Flask extension: one pool per process, built on first use.

The pool is created lazily in the process that uses it and rebuilt if the process id changes,
so a pool is never shared across a gunicorn fork (sockets shared by two processes interleave
replies). Transient connection errors are retried with jittered exponential backoff.

With a redis+sentinel:// URL the pools are redis-py SentinelConnectionPools: each new connection
asks the sentinels for the current primary, and a connection that meets READONLY (a demoted
primary) is dropped and reported as a ConnectionError, so retries and later requests reach the
new primary after a failover.
"""

from __future__ import annotations

import os
import threading

import redis
from flask import Flask
from redis.backoff import ExponentialWithJitterBackoff, NoBackoff
from redis.retry import Retry
from redis.sentinel import Sentinel, SentinelConnectionPool

from webapp.clients.redis_facts import ServerFacts
from webapp.clients.redis_url import is_sentinel_url, parse_sentinel_url
from webapp.config import Settings
from webapp.extensions import Key
from webapp.redaction import redact


class _BlockingSentinelPool(SentinelConnectionPool, redis.BlockingConnectionPool):
    """SentinelConnectionPool that waits for a free connection, like the plain pools."""


class RedisConnections:
    """Per-app holder of this process's Redis pools (jobs, and a small one for probes)."""

    def __init__(self, settings: Settings) -> None:
        """Reads the redis_* settings (and ready_check_timeout_s for the probe pool)."""
        self.settings = settings
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._client: redis.Redis | None = None
        self._probe_client: redis.Redis | None = None
        self._sentinel: Sentinel | None = None
        self.facts = ServerFacts()
        self._looked = False
        # Extra keyword arguments for every connection (tests plug in fakeredis here).
        self.extra_kwargs: dict[str, object] = {}

    @property
    def safe_url(self) -> str:
        """The configured URL without its password."""
        return redact(self.settings.redis_url)

    def primary_address(self) -> str | None:
        """host:port of the primary the job pool uses (asks the sentinels when there are)."""
        pool = self.client().connection_pool
        if isinstance(pool, SentinelConnectionPool):
            host, port = pool.get_master_address()
            return f"{host}:{port}"
        kwargs = pool.connection_kwargs
        if "path" in kwargs:
            return str(kwargs["path"])
        return f"{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}"

    def client(self) -> redis.Redis:
        """The client for job traffic, backed by this process's pool."""
        self._ensure_pools()
        assert self._client is not None
        if not self._looked:
            # First job traffic of this process: check the server's eviction policy once (in
            # the background), so the warning comes at start-up, not with a load's first 503.
            self._looked = True
            self.facts.start_first_look(self._probe_client)
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
            if self._sentinel is not None:
                for node in self._sentinel.sentinels:
                    node.connection_pool.disconnect()
            self._sentinel = None
            self._pid = None

    def _ensure_pools(self) -> None:
        pid = os.getpid()
        if self._pid == pid:
            return
        with self._lock:
            if self._pid == pid:
                return
            self._sentinel = None  # a parent's sentinel connections are not this process's
            self._client = redis.Redis(
                connection_pool=self._make_pool(self.settings.redis_max_connections)
            )
            self._probe_client = redis.Redis(
                connection_pool=self._make_pool(
                    2, retries=0, timeout_s=self.settings.ready_check_timeout_s
                )
            )
            self._pid = pid
            self.facts = ServerFacts()
            self._looked = False

    def _make_pool(
        self,
        max_connections: int,
        retries: int | None = None,
        timeout_s: float | None = None,
    ) -> redis.ConnectionPool:
        settings = self.settings
        socket_timeout = settings.redis_socket_timeout_s if timeout_s is None else timeout_s
        connect_timeout = settings.redis_connect_timeout_s if timeout_s is None else timeout_s
        # Retry refused/reset connections only: a timeout already waited the full socket
        # timeout, and retrying it would multiply how long a client waits for its 503.
        retry = Retry(
            ExponentialWithJitterBackoff(base=0.05, cap=0.5),
            settings.redis_retries if retries is None else retries,
            supported_errors=(redis.ConnectionError,),
        )
        kwargs = dict(
            max_connections=max_connections,
            socket_timeout=socket_timeout,
            socket_connect_timeout=connect_timeout,
            socket_keepalive=True,
            health_check_interval=settings.redis_health_check_interval_s,
            retry=retry,
        )
        kwargs.update(self.extra_kwargs)
        if is_sentinel_url(settings.redis_url):
            return self._sentinel_pool(kwargs)
        # Blocking: a burst waits (up to the socket timeout) for a free connection instead of
        # failing with "Too many connections".
        return redis.BlockingConnectionPool.from_url(
            settings.redis_url, timeout=socket_timeout, **kwargs
        )

    def _sentinel_pool(self, kwargs: dict) -> SentinelConnectionPool:
        """A pool whose connections go to the primary the sentinels name at connect time."""
        target = parse_sentinel_url(self.settings.redis_url)
        if self._sentinel is None:
            self._sentinel = Sentinel(
                list(target.sentinels),
                # redis-py's default client retry backs off for seconds: a sentinel that
                # refuses is skipped for the next one instead.
                sentinel_kwargs={
                    "socket_timeout": self.settings.ready_check_timeout_s,
                    "socket_connect_timeout": self.settings.ready_check_timeout_s,
                    "retry": Retry(NoBackoff(), 0),
                },
            )
        return _BlockingSentinelPool(
            target.service_name,
            self._sentinel,
            timeout=kwargs["socket_timeout"],
            db=target.db,
            username=target.username,
            password=target.password,
            **kwargs,
        )


REDIS: Key[RedisConnections] = Key("webapp.redis", "webapp.clients.redis_client.init_app")


def init_app(app: Flask, settings: Settings) -> RedisConnections:
    """Register Redis connections on `app`; refuses a second registration."""
    return REDIS.register(app, RedisConnections(settings))


def get_redis(app: Flask) -> RedisConnections:
    """The app's Redis connections."""
    return REDIS.lookup(app)
