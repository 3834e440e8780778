"""Worker heartbeats for the dashboard: fresh ones are listed, stale ones dropped."""

from __future__ import annotations

import orjson
from flask import Flask

from webapp.jobs import presence
from webapp.jobs.extension import get_jobs
from webapp.jobs.store import JobStore


def test_a_heartbeat_lists_the_worker(app: Flask, store: JobStore) -> None:
    """A beat makes the process appear with its instance, threads and running jobs."""
    runner = get_jobs(app).runner

    presence.beat(store, runner, "instance-a", "2026-01-01T00:00:00Z")

    (worker,) = presence.read(store)
    assert worker.owner == runner.owner and worker.instance == "instance-a"
    assert worker.threads == runner.options.workers and worker.running == 0
    assert worker.last_seen_s < 5


def test_stale_workers_are_dropped(store: JobStore) -> None:
    """A worker silent for longer than STALE_S is not listed and its entry is removed."""
    old = {"instance": "gone", "seen_ms": 0, "running": 1, "threads": 2, "accepting": True}
    store.redis.hset(store.keys.workers, "gone-host:1", orjson.dumps(old))

    assert presence.read(store) == []
    assert not store.redis.hexists(store.keys.workers, "gone-host:1")
