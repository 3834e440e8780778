"""Dependency checks for /ready (no Flask): entries keyed `component:measurement`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import redis

from webapp.clients.neo4j_client import Neo4jClient, Neo4jUnavailableError
from webapp.clients.redis_facts import eviction_risk, replication_of
from webapp.clock import now_iso
from webapp.jobs.store import JobStore
from webapp.redaction import redact

_RANK = {"pass": 0, "warn": 1, "fail": 2}
# A pending job older than this (seconds) turns jobs:oldestPendingAge to warn.
OLDEST_PENDING_WARN_S = 60.0


@dataclass
class Check:
    """One entry of the `checks` object."""

    component_type: str
    status: str = "pass"
    observed_value: Any = None
    observed_unit: str | None = None
    output: str | None = None
    time: str = field(default_factory=now_iso)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The health+json shape; `output` only when not passing."""
        entry: dict[str, Any] = {
            "componentType": self.component_type,
            "status": self.status,
        }
        if self.observed_value is not None:
            entry["observedValue"] = self.observed_value
        if self.observed_unit:
            entry["observedUnit"] = self.observed_unit
        entry["time"] = self.time
        if self.status != "pass" and self.output:
            entry["output"] = self.output
        entry.update(self.extra)
        return entry


Checks = dict[str, list[Check]]


def worst(statuses: Iterable[str]) -> str:
    """The most severe of the statuses (pass when none)."""
    return max(statuses, key=_RANK.__getitem__, default="pass")


def failing(component_type: str, names: Iterable[str], output: str) -> Checks:
    """Failing entries for every measurement of a component."""
    return {name: [Check(component_type, status="fail", output=output)] for name in names}


def timed_ms(call: Callable[[], Any]) -> tuple[Any, float]:
    """Run `call`, return its value and how long it took in milliseconds."""
    started = time.perf_counter()
    value = call()
    return value, round((time.perf_counter() - started) * 1000, 2)


def check_redis(
    client: redis.Redis, *, safe_url: str, primary: Callable[[], str | None] | None = None
) -> Checks:
    """PING latency, server version, persistence, eviction policy and replication.

    `primary` returns the primary's address as the pool sees it (asks Sentinel when used)."""
    try:
        _, latency_ms = timed_ms(client.ping)
    except (redis.ConnectionError, redis.TimeoutError):
        # A pooled connection may have been dropped (Redis restarted): one retry on a fresh one.
        client.connection_pool.disconnect()
        try:
            _, latency_ms = timed_ms(client.ping)
        except redis.RedisError as error:
            return failing("datastore", ["redis:responseTime"], redact(f"{safe_url}: {error}"))
    except redis.RedisError as error:
        return failing("datastore", ["redis:responseTime"], redact(f"{safe_url}: {error}"))
    return {
        "redis:responseTime": [Check("datastore", observed_value=latency_ms, observed_unit="ms")],
        **_redis_facts(client),
        **_replication(client, primary),
    }


def _redis_facts(client: redis.Redis) -> Checks:
    try:
        info = client.info("server") | client.info("persistence") | client.info("memory")
    except redis.RedisError as error:
        return {"redis:persistence": [Check("datastore", status="warn", output=redact(error))]}
    aof = bool(info.get("aof_enabled"))
    rdb = _rdb_enabled(client)
    modes = [mode for mode, on in (("aof", aof), ("rdb", rdb)) if on]
    persistence = Check(
        "datastore",
        observed_value=",".join(modes) or "none",
        extra={"version": info.get("redis_version")},
    )
    if not modes and rdb is not None:
        persistence.status = "warn"
        persistence.output = "neither AOF nor RDB is on: jobs would not survive a Redis restart"
    eviction = Check("datastore", observed_value=str(info.get("maxmemory_policy", "unknown")))
    risk = eviction_risk(info)
    if risk:
        eviction.status, eviction.output = "warn", risk
    return {"redis:persistence": [persistence], "redis:evictionPolicy": [eviction]}


def _replication(client: redis.Redis, primary: Callable[[], str | None] | None) -> Checks:
    """The role of the server the pool reaches, the primary's address and the replicas seen."""
    try:
        replication = replication_of(client.info("replication"))
        address = primary() if primary else None
    except redis.RedisError as error:
        return {"redis:replication": [Check("datastore", status="warn", output=redact(error))]}
    entry = Check(
        "datastore",
        observed_value=replication.role,
        extra={"primary": address, "replicas": list(replication.replicas)},
    )
    if replication.role != "master":
        entry.status = "fail"
        entry.output = f"the configured Redis is a {replication.role}: it refuses writes"
    return {"redis:replication": [entry]}


def _rdb_enabled(client: redis.Redis) -> bool | None:
    """Whether RDB snapshots are configured; None when CONFIG is not allowed (managed Redis)."""
    try:
        save = client.config_get("save").get("save", "")
    except redis.ResponseError:
        return None
    return bool(save.strip() if isinstance(save, str) else save.decode().strip())


def check_neo4j(client: Neo4jClient) -> Checks:
    """Driver connectivity latency and server agent; warn (not fail) when not configured."""
    if not client.is_configured:
        output = "not configured (NEO4J_URI is empty)"
        return {"neo4j:responseTime": [Check("datastore", status="warn", output=output)]}
    try:
        ping = client.ping()
    except Neo4jUnavailableError as error:
        return failing("datastore", ["neo4j:responseTime"], str(error))
    entry = Check(
        "datastore",
        observed_value=ping.latency_ms,
        observed_unit="ms",
        extra={"version": ping.agent, "protocol": ping.protocol},
    )
    return {"neo4j:responseTime": [entry]}


def check_jobs(store: JobStore) -> Checks:
    """Global queue depth, running count and age of the oldest pending job (warn, never fail)."""
    try:
        stats = store.queue_stats()
    except redis.RedisError as error:
        return failing("component", ["jobs:queueDepth"], f"queue unreadable: {redact(error)}")
    age = Check("component", observed_value=stats.oldest_pending_age_s, observed_unit="s")
    if stats.oldest_pending_age_s is not None:
        age.observed_value = round(stats.oldest_pending_age_s, 3)
        if stats.oldest_pending_age_s > OLDEST_PENDING_WARN_S:
            age.status = "warn"
            age.output = f"the oldest pending job has waited over {OLDEST_PENDING_WARN_S:.0f} s"
    return {
        "jobs:queueDepth": [Check("component", observed_value=stats.pending)],
        "jobs:running": [Check("component", observed_value=stats.running)],
        "jobs:oldestPendingAge": [age],
    }


def check_executor(utilization: float, *, accepting: bool, threads_ok: bool = True) -> Checks:
    """This process's executor threads in use; warn when all are busy or not taking jobs, fail
    when its dispatcher or maintenance thread is down and could not be restarted."""
    if not threads_ok:
        return failing(
            "component",
            ["executor:utilization"],
            "the job dispatcher or maintenance thread is down and could not be restarted",
        )
    entry = Check("component", observed_value=round(utilization, 3), observed_unit="percent")
    entry.observed_value = round(utilization * 100, 1)
    if not accepting:
        entry.status = "warn"
        entry.output = "this process is not taking jobs"
    elif utilization >= 1.0:
        entry.status = "warn"
        entry.output = "every executor thread is busy"
    return {"executor:utilization": [entry]}
