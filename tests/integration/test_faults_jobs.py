"""Faults inside a process: a dependency down for a moment, a record outliving its TTL, worker
threads that die. Runners run in this process against the shared Redis.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
import redis
from flask import Flask

from tests.support.fault_summary import FaultReport
from tests.support.jobs_view import counts, statuses, submit_in_process
from tests.support.waiting import wait_until
from webapp.config import Settings
from webapp.jobs.extension import get_jobs
from webapp.jobs.store import JobStore

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TERMINAL = {"complete", "failed"}


def _raise_once(original: Callable, error: Exception) -> Callable:
    """Wrap a method so its first call raises `error`; later calls run the original."""
    raised = threading.Event()

    def wrapper(*args: object, **kwargs: object) -> object:
        if not raised.is_set():
            raised.set()
            raise error
        return original(*args, **kwargs)

    return wrapper


@pytest.mark.parametrize("dependency", ["neo4j", "redis"])
def test_a_transient_dependency_failure_requeues_the_job(
    dependency: str,
    make_service: Callable[..., Flask],
    real_redis: redis.Redis,
    settings: Settings,
    fault_report: FaultReport,
) -> None:
    """The job's dependency (Neo4j, or Redis inside the job) is unavailable on its first run:
    the job is put back and completes on a later run, instead of failing."""
    prefix = settings.redis_key_prefix
    app = make_service(job_workers=1)
    run_id = submit_in_process(app, f"flaky-{dependency}:1")
    fault_report.watch(real_redis, real_redis, prefix, [run_id])

    get_jobs(app).runner.start()

    wait_until(lambda: statuses(real_redis, prefix, [run_id])[0] in TERMINAL, 30, interval_s=0.1)
    assert statuses(real_redis, prefix, [run_id]) == ["complete"]
    assert counts(real_redis, prefix, "starts", [run_id]) == [2]


def test_a_job_pending_and_running_longer_than_the_ttl_does_not_vanish(
    make_service: Callable[..., Flask],
    real_redis: redis.Redis,
    settings: Settings,
    fault_report: FaultReport,
) -> None:
    """JOB_TTL_SECONDS=3; one thread; a 6 s job and a job queued behind it: both stay readable
    (200) the whole time and both complete; the TTL counts from the last change."""
    prefix = settings.redis_key_prefix
    app = make_service(job_workers=1, job_ttl_seconds=3)
    client = app.test_client()
    run_ids = [submit_in_process(app, "sleep:6"), submit_in_process(app, "noop")]
    fault_report.watch(real_redis, real_redis, prefix, run_ids)
    get_jobs(app).runner.start()

    answers: set[int] = set()
    deadline = time.monotonic() + 12
    while time.monotonic() < deadline and statuses(real_redis, prefix, run_ids) != ["complete"] * 2:
        answers |= {client.get(f"/optimize/{run_id}").status_code for run_id in run_ids}
        time.sleep(0.2)

    assert answers == {200}, f"status reads answered {sorted(answers)}"
    assert statuses(real_redis, prefix, run_ids) == ["complete"] * 2


def test_a_dispatcher_that_dies_is_restarted(
    make_service: Callable[..., Flask],
    real_redis: redis.Redis,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    fault_report: FaultReport,
) -> None:
    """The dispatcher's first claim raises a non-Redis error (a bug, a failing log sink): the
    thread is restarted and the queued job still runs."""
    prefix = settings.redis_key_prefix
    app = make_service(job_workers=1)
    run_id = submit_in_process(app, "noop")
    fault_report.watch(real_redis, real_redis, prefix, [run_id])
    monkeypatch.setattr(
        JobStore, "claim_next", _raise_once(JobStore.claim_next, RuntimeError("injected"))
    )

    get_jobs(app).runner.start()

    wait_until(
        lambda: statuses(real_redis, prefix, [run_id]) == ["complete"],
        10,
        message=f"status {statuses(real_redis, prefix, [run_id])}",
    )
    assert counts(real_redis, prefix, "starts", [run_id]) == [1]


def test_a_maintenance_thread_that_dies_is_restarted(
    make_service: Callable[..., Flask],
    real_redis: redis.Redis,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    fault_report: FaultReport,
) -> None:
    """The first lease renewal raises a non-Redis error: the maintenance thread is restarted
    and keeps the lease alive, so another process does not take the job over (one start)."""
    prefix = settings.redis_key_prefix
    options = {"job_workers": 1, "job_lease_seconds": 3.0, "recovery_scan_seconds": 0.5}
    owner = make_service(**options)
    run_id = submit_in_process(owner, "sleep:6")
    fault_report.watch(real_redis, real_redis, prefix, [run_id])
    monkeypatch.setattr(
        JobStore, "renew_leases", _raise_once(JobStore.renew_leases, RuntimeError("injected"))
    )
    get_jobs(owner).runner.start()
    wait_until(lambda: counts(real_redis, prefix, "starts", [run_id]) == [1], 5)
    get_jobs(make_service(**options)).runner.start()  # another process, idle

    wait_until(lambda: statuses(real_redis, prefix, [run_id])[0] in TERMINAL, 20, interval_s=0.1)
    assert statuses(real_redis, prefix, [run_id]) == ["complete"]
    assert counts(real_redis, prefix, "starts", [run_id]) == [1]
