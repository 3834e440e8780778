"""Jobs as a Flask extension: the store, the runner and the kinds of one app."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import redis
from flask import Flask

from webapp.clients.redis_client import RedisConnections
from webapp.config import Settings
from webapp.extensions import Key
from webapp.jobs.durability import WaitPolicy
from webapp.jobs.events import NO_EVENTS, JobEvents
from webapp.jobs.keys import Keys
from webapp.jobs.kinds import JobKinds
from webapp.jobs.runner import JobRunner, RunnerOptions, idle_poll_s
from webapp.jobs.store import JobStore


def build_store(client: redis.Redis, settings: Settings) -> JobStore:
    """A JobStore on `client` with the key prefix, TTLs and limits of `settings`."""
    return JobStore(
        client,
        Keys(settings.redis_key_prefix),
        ttl_seconds=settings.job_ttl_seconds,
        tombstone_ttl_seconds=settings.tombstone_ttl_seconds,
        lease_seconds=settings.job_lease_seconds,
        max_attempts=settings.max_attempts,
    )


@dataclass
class Jobs:
    """Per-app job machinery; the store is built on first use in the process that uses it."""

    settings: Settings
    connections: RedisConnections
    kinds: JobKinds
    events: JobEvents = NO_EVENTS
    runner: JobRunner = field(init=False)
    presence: threading.Thread | None = field(default=None, init=False)  # once started
    _store: JobStore | None = field(default=None, init=False)
    _store_client: object | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        s = self.settings
        self.runner = JobRunner(
            self.store,
            self.kinds,
            RunnerOptions(
                workers=s.job_workers,
                thread_nice=s.job_thread_nice,
                lease_seconds=s.job_lease_seconds,
                recovery_scan_seconds=s.recovery_scan_seconds,
                result_write_retry_seconds=s.result_write_retry_seconds,
                job_timeout_seconds=s.job_timeout_seconds,
                job_memory_limit_mb=s.job_memory_limit_mb,
                idle_poll_seconds=idle_poll_s(s.redis_socket_timeout_s),
            ),
            wait_policy=self.wait_policy,
            events=self.events,
        )

    def store(self) -> JobStore:
        """This process's JobStore (rebuilt if the Redis pool was rebuilt after a fork)."""
        client = self.connections.client()
        if self._store is None or self._store_client is not client:
            with self._lock:
                if self._store is None or self._store_client is not client:
                    self._store = build_store(client, self.settings)
                    self._store_client = client
        return self._store

    def wait_policy(self) -> WaitPolicy | None:
        """How many replicas must confirm a submit: REDIS_MIN_REPLICAS, or (auto) 1 when the
        primary reports connected replicas (cached briefly), else 0. None: no WAIT."""
        replicas = self.settings.redis_min_replicas
        if replicas is None:
            client = self.connections.client()
            replicas = min(self.connections.facts.connected_replicas(client), 1)
        if replicas <= 0:
            return None
        return WaitPolicy(replicas=replicas, timeout_ms=self.settings.redis_wait_timeout_ms)


JOBS: Key[Jobs] = Key("webapp.jobs", "webapp.jobs.extension.init_app")


def init_app(
    app: Flask,
    settings: Settings,
    connections: RedisConnections,
    kinds: JobKinds,
    events: JobEvents = NO_EVENTS,
) -> Jobs:
    """Register the job machinery on `app` (`events` hears about attempts: metrics); refuses a
    second registration."""
    jobs = Jobs(settings=settings, connections=connections, kinds=kinds, events=events)
    return JOBS.register(app, jobs)


def get_jobs(app: Flask) -> Jobs:
    """The app's job machinery."""
    return JOBS.lookup(app)
