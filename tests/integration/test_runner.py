"""JobRunner threads against a real Redis: claiming, progress, drain, fencing, recovery."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest
import redis
from flask import Flask
from structlog.testing import LogCapture

from tests.conftest import capture_logs_into, close_app, valid_players
from tests.support.kinds import scripted_kinds
from tests.support.waiting import wait_until
from webapp import create_app
from webapp.config import Settings
from webapp.jobs import runner as runner_module
from webapp.jobs import service
from webapp.jobs.extension import get_jobs
from webapp.jobs.states import JobStatus
from webapp.jobs.store import JobStore

pytestmark = pytest.mark.integration


def _submit(store: JobStore, slate_id: str, request_id: str | None = None) -> str:
    origin = service.Origin(request_id=request_id)
    return service.submit(
        store, {"slate_id": slate_id, "players": valid_players()}, origin=origin
    ).run_id


def _status(store: JobStore, run_id: str) -> JobStatus:
    return store.get(run_id).status


def test_job_runs_to_complete(real_app: Flask, real_store: JobStore) -> None:
    """A started runner picks up a queued job and stores its result."""
    run_id = _submit(real_store, "progress")

    get_jobs(real_app).runner.start()

    wait_until(lambda: _status(real_store, run_id) == JobStatus.COMPLETE, 5)
    record, result = real_store.get_result(run_id)
    assert result["script"] == "progress" and record.attempts == 1


def test_runner_claims_only_when_a_thread_is_free(
    settings: Settings, real_redis: redis.Redis
) -> None:
    """With one executor thread, a second job stays pending in Redis while the first runs."""
    app = create_app(replace(settings, job_workers=1), kinds=scripted_kinds())
    store = get_jobs(app).store()
    try:
        first, second = _submit(store, "sleep:0.6"), _submit(store, "sleep:0.1")
        get_jobs(app).runner.start()

        wait_until(lambda: _status(store, first) == JobStatus.RUNNING, 5)
        assert _status(store, second) == JobStatus.PENDING
        assert store.queue_stats().pending == 1
        wait_until(lambda: _status(store, second) == JobStatus.COMPLETE, 5)
    finally:
        close_app(app)


def test_every_job_is_claimed_by_the_dispatcher_once(
    settings: Settings, real_redis: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One executor thread, ten queued jobs: the dispatcher claims each one, once."""
    app = create_app(replace(settings, job_workers=1), kinds=scripted_kinds())
    store = get_jobs(app).store()
    claims_by_thread: list[str] = []
    claim_next = JobStore.claim_next

    def counted_claim_next(self: JobStore, owner: str, token: str | None = None) -> object:
        claim = claim_next(self, owner, token)
        if claim is not None:
            claims_by_thread.append(threading.current_thread().name)
        return claim

    monkeypatch.setattr(JobStore, "claim_next", counted_claim_next)
    try:
        run_ids = [_submit(store, "noop") for _ in range(10)]
        get_jobs(app).runner.start()

        wait_until(lambda: all(_status(store, r) == JobStatus.COMPLETE for r in run_ids), 10)
        assert all(store.get(r).attempts == 1 for r in run_ids)
        assert claims_by_thread == ["job-dispatcher"] * 10
    finally:
        close_app(app)


def test_a_thread_that_fails_after_the_final_write_keeps_its_slot(
    settings: Settings, real_redis: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Something raising after the final write (here the job_completed line) must not cost
    the executor slot: the next jobs still run."""
    app = create_app(replace(settings, job_workers=1), kinds=scripted_kinds())
    store = get_jobs(app).store()
    real_log = runner_module.log

    class FailingCompletedLine:
        def __getattr__(self, name: str) -> object:
            return getattr(real_log, name)

        def info(self, event: str, **fields: object) -> None:
            if event == "job_completed":
                raise RuntimeError("log sink down")
            real_log.info(event, **fields)

    monkeypatch.setattr(runner_module, "log", FailingCompletedLine())
    try:
        run_ids = [_submit(store, "noop") for _ in range(3)]
        get_jobs(app).runner.start()

        wait_until(lambda: all(_status(store, r) == JobStatus.COMPLETE for r in run_ids), 10)
        wait_until(lambda: not get_jobs(app).runner.running(), 5)
    finally:
        close_app(app)


def test_job_thread_logs_carry_job_and_request_ids(
    real_app: Flask, real_store: JobStore, log_capture: LogCapture
) -> None:
    """Lines logged in the executor thread carry job_id and the creating request's id."""
    capture = log_capture
    run_id = _submit(real_store, "noop", request_id="req-777")

    get_jobs(real_app).runner.start()

    wait_until(lambda: any(e["event"] == "job_completed" for e in capture.entries), 5)
    job_lines = [e for e in capture.entries if e["event"] in {"job_started", "job_completed"}]
    assert {(e["job_id"], e["request_id"]) for e in job_lines} == {(run_id, "req-777")}


def test_job_lines_carry_the_jobs_size(
    real_app: Flask, real_store: JobStore, log_capture: LogCapture
) -> None:
    """job_started and job_completed say how big the job is: players, lineups, scenarios."""
    capture = log_capture
    job_input = {"slate_id": "noop", "players": valid_players(3), "n_lineups": 7, "n_scenarios": 50}
    service.submit(real_store, job_input)

    get_jobs(real_app).runner.start()

    wait_until(lambda: any(e["event"] == "job_completed" for e in capture.entries), 5)
    job_lines = [e for e in capture.entries if e["event"] in {"job_started", "job_completed"}]
    assert len(job_lines) == 2
    assert {(e["players"], e["lineups"], e["scenarios"]) for e in job_lines} == {(3, 7, 50)}


def test_drain_waits_for_short_jobs(real_app: Flask, real_store: JobStore) -> None:
    """Jobs that finish before the deadline complete; nothing is handed back."""
    run_id = _submit(real_store, "sleep:0.3")
    runner = get_jobs(real_app).runner
    runner.start()
    wait_until(lambda: _status(real_store, run_id) == JobStatus.RUNNING, 5)

    stragglers = runner.drain(time.monotonic() + 5)

    assert stragglers == []
    assert _status(real_store, run_id) == JobStatus.COMPLETE


def test_drain_hands_back_stragglers_without_spending_an_attempt(
    real_app: Flask, real_store: JobStore
) -> None:
    """A job still running at the deadline goes back to pending with its retry budget intact."""
    run_id = _submit(real_store, "sleep:30")
    runner = get_jobs(real_app).runner
    runner.start()
    wait_until(lambda: _status(real_store, run_id) == JobStatus.RUNNING, 5)

    started = time.monotonic()
    stragglers = runner.drain(time.monotonic() + 0.5)
    took = time.monotonic() - started

    assert [s.claim.record.run_id for s in stragglers] == [run_id]
    assert 0.4 < took < 2.0
    record = real_store.get(run_id)
    assert record.status == JobStatus.PENDING and record.handbacks == 1
    assert real_store.queue_stats().pending == 1


def test_stopped_runner_takes_no_new_job(real_app: Flask, real_store: JobStore) -> None:
    """After stop_accepting, queued jobs stay pending for another process."""
    runner = get_jobs(real_app).runner
    runner.start()
    runner.stop_accepting()
    time.sleep(0.2)  # let the dispatcher see the flag

    run_id = _submit(real_store, "noop")
    time.sleep(1.5)  # longer than one idle poll: nothing may pick the job up

    assert _status(real_store, run_id) == JobStatus.PENDING


def test_lost_lease_fences_the_running_attempt(settings: Settings, real_redis: redis.Redis) -> None:
    """When another process takes the job over, the old attempt stops and writes nothing."""
    # One executor thread: busy with the old attempt, so this runner cannot re-claim the job.
    app = create_app(replace(settings, job_workers=1), kinds=scripted_kinds())
    store = get_jobs(app).store()
    runner = get_jobs(app).runner
    try:
        run_id = _submit(store, "sleep:3")
        runner.start()
        wait_until(lambda: _status(store, run_id) == JobStatus.RUNNING, 5)
        record = store.get(run_id)
        attempt = record.attempts

        store.hand_back(run_id, record.claim)  # as a recovery elsewhere would
        taken = store.claim_next("another-process")

        wait_until(lambda: not runner.running(), 5, message="old attempt should stop")
        record = store.get(run_id)
        assert taken is not None and taken.attempt == attempt + 1
        assert record.status == JobStatus.RUNNING and record.owner == "another-process"
    finally:
        close_app(app)


def test_recovery_requeues_a_dead_owners_job(settings: Settings, real_redis: redis.Redis) -> None:
    """A job left running by a process that died is reclaimed and completed here, once this
    process has seen Redis steady for one and a half leases (from its start, not before)."""
    options = {"job_lease_seconds": 1.0, "recovery_scan_seconds": 0.2}
    app = create_app(replace(settings, **options), kinds=scripted_kinds())  # type: ignore[arg-type]
    store = get_jobs(app).store()
    run_id = _submit(store, "noop")
    dead = store.claim_next("dead-process:1")
    store.redis.zadd(store.keys.leases, {run_id: 0})
    started = time.monotonic()

    get_jobs(app).runner.start()

    wait_until(lambda: _status(store, run_id) == JobStatus.COMPLETE, 5)
    took = time.monotonic() - started
    attempts = store.get(run_id).attempts
    close_app(app)
    assert took >= 1.5, f"reclaimed {took:.2f} s after the start, before 1.5 leases"
    assert attempts == dead.attempt + 1


def test_a_transient_error_requeues_the_job_instead_of_failing_it(
    real_app: Flask, real_store: JobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dependency out of reach in the first attempt: the job waits, runs again, completes."""
    monkeypatch.setattr(runner_module, "RETRY_DELAY_MIN_S", 0.2)
    run_id = _submit(real_store, "transient:1")

    get_jobs(real_app).runner.start()

    wait_until(lambda: _status(real_store, run_id) == JobStatus.COMPLETE, 10)
    record = real_store.get(run_id)
    assert (record.attempts, record.failed_attempts) == (2, 1)


def test_a_job_whose_dependency_stays_down_fails_with_the_cause(
    real_app: Flask, real_store: JobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Transient errors are retried up to MAX_ATTEMPTS, then the job fails naming the cause."""
    monkeypatch.setattr(runner_module, "RETRY_DELAY_MIN_S", 0.1)
    run_id = _submit(real_store, "transient:99")

    get_jobs(real_app).runner.start()

    wait_until(lambda: _status(real_store, run_id) == JobStatus.FAILED, 10)
    record = real_store.get(run_id)
    assert record.failed_attempts == record.attempts == 3
    assert "slate store is out of reach" in record.error


def test_a_dispatcher_loop_that_raises_is_restarted(
    real_app: Flask, real_store: JobStore, monkeypatch: pytest.MonkeyPatch, log_capture: LogCapture
) -> None:
    """A bug outside Redis in the dispatcher is logged, and the loop runs again."""
    monkeypatch.setattr(runner_module, "RESTART_DELAY_S", 0.05)
    claim_next = JobStore.claim_next
    calls = []

    def broken_once(self: JobStore, owner: str, token: str | None = None) -> object:
        calls.append(owner)
        if len(calls) == 1:
            raise RuntimeError("a bug")
        return claim_next(self, owner, token)

    monkeypatch.setattr(JobStore, "claim_next", broken_once)
    run_id = _submit(real_store, "noop")

    get_jobs(real_app).runner.start()

    wait_until(lambda: _status(real_store, run_id) == JobStatus.COMPLETE, 5)
    crashed = [e for e in log_capture.entries if e["event"] == "job_thread_crashed"]
    assert [e["thread"] for e in crashed] == ["job-dispatcher"]


def test_readiness_restarts_a_thread_that_died(real_app: Flask, real_store: JobStore) -> None:
    """ensure_threads (run by /ready) starts a dispatcher that is gone; jobs run again."""
    runner = get_jobs(real_app).runner
    runner.start()
    dead = threading.Thread(target=lambda: None)
    dead.start()
    dead.join()
    original = runner._threads["job-dispatcher"]
    runner._threads["job-dispatcher"] = dead  # as if it had died
    assert not runner.threads_alive()

    assert runner.ensure_threads() and runner.threads_alive()
    run_id = _submit(real_store, "noop")
    wait_until(lambda: _status(real_store, run_id) == JobStatus.COMPLETE, 5)
    runner.shutdown()
    original.join(5)


def test_recovery_waits_a_lease_after_redis_trouble(
    settings: Settings, real_redis: redis.Redis
) -> None:
    """A process that just saw Redis fail does not requeue other owners' expired jobs until
    Redis has been reachable for a full lease: live owners renew first."""
    app = create_app(replace(settings, job_lease_seconds=1.5), kinds=scripted_kinds())
    store = get_jobs(app).store()
    runner = get_jobs(app).runner
    try:
        run_id = _submit(store, "noop")
        store.claim_next("alive-elsewhere:1")
        store.redis.zadd(store.keys.leases, {run_id: 0})
        runner.reachability.trouble()

        runner.start()
        time.sleep(0.8)
        assert _status(store, run_id) == JobStatus.RUNNING  # not taken from its owner yet

        wait_until(lambda: _status(store, run_id) == JobStatus.COMPLETE, 6)
    finally:
        close_app(app)


def test_an_idle_dispatcher_waits_for_work_within_the_socket_timeout(
    settings: Settings, real_redis: redis.Redis, log_capture: LogCapture
) -> None:
    """REDIS_SOCKET_TIMEOUT=0.5, under the dispatcher's idle wait for work: idling is not a
    Redis error (no failed claim, no back-off), and a job submitted after a while idle starts
    at once."""
    app = create_app(replace(settings, redis_socket_timeout_s=0.5), kinds=scripted_kinds())
    capture_logs_into(log_capture)
    store = get_jobs(app).store()
    try:
        get_jobs(app).runner.start()
        time.sleep(2.5)
        submitted = time.monotonic()
        run_id = _submit(store, "noop")

        wait_until(lambda: _status(store, run_id) == JobStatus.COMPLETE, 10)
        assert time.monotonic() - submitted < 1.0
        assert [e for e in log_capture.entries if e["event"] == "job_claim_failed"] == []
    finally:
        close_app(app)
