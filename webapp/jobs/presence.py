"""Which worker processes are alive: each writes a heartbeat to Redis, operators read them.

One hash (keys.workers) maps each process's owner id (host:pid, as on running jobs) to a small
JSON document. Entries not refreshed for STALE_S are shown as gone and then dropped.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import orjson
import redis
import structlog

from webapp.clock import now_iso
from webapp.jobs.runner import JobRunner
from webapp.jobs.store import JobStore

log = structlog.get_logger(__name__)

HEARTBEAT_S = 5.0
STALE_S = 30.0


@dataclass(frozen=True)
class WorkerPresence:
    """One worker process as last seen."""

    owner: str
    instance: str
    pid: str
    started_at: str
    last_seen_s: float  # seconds since its last heartbeat
    running: int
    threads: int
    accepting: bool


def beat(store: JobStore, runner: JobRunner, instance: str, started_at: str) -> None:
    """Write this process's heartbeat."""
    document = {
        "instance": instance,
        "started_at": started_at,
        "seen_ms": time.time() * 1000,
        "running": len(runner.running()),
        "threads": runner.options.workers,
        "accepting": runner.is_accepting,
    }
    store.write_presence(runner.owner, orjson.dumps(document))


def read(store: JobStore) -> list[WorkerPresence]:
    """Workers seen within STALE_S, by instance; older entries are removed."""
    now_ms = time.time() * 1000
    alive, stale = [], []
    for owner, raw in store.presence().items():
        doc = orjson.loads(raw)
        age_s = (now_ms - float(doc.get("seen_ms", 0))) / 1000
        if age_s > STALE_S:
            stale.append(owner)
            continue
        alive.append(
            WorkerPresence(
                owner=owner,
                instance=str(doc.get("instance", "")),
                pid=owner.rsplit(":", 1)[-1],
                started_at=str(doc.get("started_at", "")),
                last_seen_s=max(age_s, 0.0),
                running=int(doc.get("running", 0)),
                threads=int(doc.get("threads", 0)),
                accepting=bool(doc.get("accepting")),
            )
        )
    store.forget_workers(*stale)
    return sorted(alive, key=lambda w: (w.instance, w.owner))


def start(
    store_factory: Callable[[], JobStore], runner: JobRunner, instance: str
) -> threading.Thread:
    """Heartbeat every HEARTBEAT_S from a daemon thread until the runner stops taking jobs."""
    started_at = now_iso()

    def loop() -> None:
        while not runner.was_stopped:
            try:
                beat(store_factory(), runner, instance, started_at)
            except redis.RedisError as error:
                log.warning("presence_heartbeat_failed", error=str(error))
            for _ in range(int(HEARTBEAT_S / 0.25)):
                if runner.was_stopped:
                    break
                time.sleep(0.25)
        with contextlib.suppress(redis.RedisError):
            store_factory().forget_workers(runner.owner)

    thread = threading.Thread(target=loop, name="presence-heartbeat", daemon=True)
    thread.start()
    return thread
