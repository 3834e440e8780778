"""What the Redis server says about itself that the service acts on: its replicas (for WAIT) and
whether its eviction policy may drop job records (warned once per process)."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import redis
import structlog

from webapp.jobs.errors import is_transient_redis_error
from webapp.redaction import redact

log = structlog.get_logger(__name__)

# How long a looked-up replica count is trusted: a submit never asks INFO itself more often.
REPLICA_COUNT_TTL_S = 5.0
# The start-up look at the server: attempts and the pause between them.
FIRST_LOOK_ATTEMPTS = 20
FIRST_LOOK_PAUSE_S = 3.0


@dataclass(frozen=True)
class Replication:
    """The role of the server a client reaches and the replicas connected to it."""

    role: str
    replicas: tuple[str, ...]


def replication_of(info: Mapping[str, Any]) -> Replication:
    """Parse INFO replication (as redis-py returns it)."""
    replicas = []
    for index in range(int(info.get("connected_slaves", 0) or 0)):
        entry = info.get(f"slave{index}")
        if isinstance(entry, Mapping):
            state = entry.get("state", "online")
            suffix = "" if state == "online" else f" ({state})"
            replicas.append(f"{entry.get('ip')}:{entry.get('port')}{suffix}")
    return Replication(role=str(info.get("role", "unknown")), replicas=tuple(replicas))


def eviction_risk(info: Mapping[str, Any]) -> str | None:
    """Why the memory settings in INFO memory may evict job records, or None when they cannot.

    Every job key carries a TTL, so the volatile-* policies evict job records as readily as the
    allkeys-* ones; only noeviction (or no maxmemory at all) keeps them."""
    maxmemory = int(info.get("maxmemory", 0) or 0)
    policy = str(info.get("maxmemory_policy", "noeviction"))
    if maxmemory == 0 or policy == "noeviction":
        return None
    return (
        f"maxmemory-policy {policy} with maxmemory {maxmemory} bytes lets Redis evict pending "
        "and running job records under memory pressure; set maxmemory-policy noeviction"
    )


class ServerFacts:
    """This process's cached view of the server: replica count, and a one-time warning."""

    def __init__(self, ttl_s: float = REPLICA_COUNT_TTL_S) -> None:
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._replicas: int | None = None
        self._looked_at = float("-inf")
        self._warned = False

    def connected_replicas(self, client: redis.Redis) -> int:
        """Replicas the primary reports, looked up at most once per ttl_s."""
        with self._lock:
            fresh = time.monotonic() - self._looked_at < self.ttl_s
            if fresh and self._replicas is not None:
                return self._replicas
        try:
            return self.refresh(client)
        except redis.ResponseError:
            # INFO refused (a managed Redis that renames it): no replicas can be counted.
            with self._lock:
                self._replicas, self._looked_at = 0, time.monotonic()
            return 0

    def refresh(self, client: redis.Redis) -> int:
        """Ask the server now (INFO replication + memory); warn once about its eviction policy."""
        with client.pipeline(transaction=False) as pipe:
            pipe.info("replication")
            pipe.info("memory")
            replication, memory = pipe.execute()
        count = len(replication_of(replication).replicas)
        with self._lock:
            self._replicas, self._looked_at = count, time.monotonic()
            warn, self._warned = not self._warned, True
        risk = eviction_risk(memory)
        if warn and risk:
            # Looked up now, not at import: this runs once, in a thread that may start before
            # or after logging is (re)configured.
            structlog.get_logger(__name__).warning("redis_eviction_policy_unsafe", reason=risk)
        return count

    def first_look(self, client: redis.Redis) -> None:
        """refresh() until it succeeds once (bounded): the start-up warning needs one answer."""
        for _ in range(FIRST_LOOK_ATTEMPTS):
            try:
                self.refresh(client)
                return
            except redis.RedisError as error:
                log.debug("redis_first_look_failed", error=redact(error))
                if not is_transient_redis_error(error):
                    return  # e.g. INFO refused by a managed Redis: asking again will not help
                time.sleep(FIRST_LOOK_PAUSE_S)

    def start_first_look(self, client: redis.Redis) -> None:
        """first_look() in a daemon thread, so building a pool never waits on the server."""
        threading.Thread(
            target=self.first_look, args=(client,), name="redis-first-look", daemon=True
        ).start()
