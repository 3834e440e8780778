"""Fencing of job attempts when Redis forgets or a reply is lost.

- Rollback: Redis restarts from an older snapshot (RDB only; the same happens with the last
  second of AOF everysec, or a failover to an asynchronous replica). The attempt claimed before
  the rollback must not be accepted once another process has claimed the job again.
- Lost claim reply: Redis ran the claim but the reply never arrived; the claimed job must still
  run at once, not sit "running" with no thread until its lease runs out.
Service processes run in this process (each app its own runner) against private redis-servers;
start counters live on the shared Redis, which is never rolled back.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import redis
from flask import Flask
from structlog.testing import LogCapture

from tests.conftest import capture_logs_into
from tests.support.fault_summary import FaultReport
from tests.support.jobs_view import counts, statuses, submit_in_process
from tests.support.redis_server import RedisServer
from tests.support.tcp_proxy import TcpProxy
from tests.support.waiting import wait_until
from webapp.config import Settings
from webapp.jobs.extension import get_jobs
from webapp.jobs.keys import Keys
from webapp.jobs.store import JobStore

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_after_a_rollback_only_the_current_claim_is_accepted(
    start_redis_server: Callable[..., RedisServer],
    make_service: Callable[..., Flask],
    real_redis: redis.Redis,
    settings: Settings,
    log_capture: LogCapture,
    fault_report: FaultReport,
) -> None:
    """SAVE with the job pending; process A claims and runs it; Redis is killed and restarts
    from the snapshot (the claim is forgotten); process B claims it again. A's attempt is not
    accepted: exactly one attempt completes the job, and the stored result is B's."""
    server = start_redis_server(appendonly=False)
    prefix = settings.redis_key_prefix
    # Long leases: neither process renews or recovers anything during the test on its own.
    options = {
        "redis_url": server.url,
        "job_workers": 1,
        "job_lease_seconds": 30.0,
        "recovery_scan_seconds": 30.0,
    }
    first = make_service(**options)
    run_id = submit_in_process(first, "sleep:4")
    fault_report.watch(server.client(), real_redis, prefix, [run_id])
    server.client().save()
    capture_logs_into(log_capture)
    get_jobs(first).runner.start()
    wait_until(lambda: counts(real_redis, prefix, "starts", [run_id]) == [1], 5)

    server.kill()
    server.start()
    assert statuses(server.client(), prefix, [run_id]) == ["pending"]  # the claim rolled back
    second = make_service(**options)
    capture_logs_into(log_capture)
    get_jobs(second).runner.start()
    wait_until(lambda: counts(real_redis, prefix, "starts", [run_id]) == [2], 5)

    wait_until(lambda: statuses(server.client(), prefix, [run_id]) == ["complete"], 15)
    wait_until(lambda: not get_jobs(first).runner.running(), 10)
    wait_until(lambda: not get_jobs(second).runner.running(), 10)
    result = second.test_client().get(f"/optimize/{run_id}/result").get_json()
    completions = [e for e in log_capture.entries if e["event"] == "job_completed"]
    assert result["result"]["start"] == 2, "the attempt from before the rollback was accepted"
    assert len(completions) == 1, f"{len(completions)} attempts were accepted as complete"


def test_a_lost_claim_reply_does_not_idle_the_job(
    start_redis_server: Callable[..., RedisServer],
    make_proxy: Callable[[int], TcpProxy],
    make_service: Callable[..., Flask],
    real_redis: redis.Redis,
    settings: Settings,
    fault_report: FaultReport,
) -> None:
    """Redis runs the claim, the reply is lost (the connection resets): the job still runs
    within a few seconds (its lease is 10 s) and exactly once."""
    server = start_redis_server(appendonly=False)
    proxy = make_proxy(server.port)
    prefix = settings.redis_key_prefix
    app = make_service(
        redis_url=proxy.url(), job_workers=1, job_lease_seconds=10.0, recovery_scan_seconds=1.0
    )
    run_id = submit_in_process(app, "noop")
    fault_report.watch(server.client(), real_redis, prefix, [run_id])
    # Every claim reply names the job it claimed: lose the first one that does.
    proxy.drop_reply_containing(run_id.encode())
    started = time.monotonic()
    get_jobs(app).runner.start()

    wait_until(proxy.dropped.is_set, 5, message="the claim reply was never sent")
    wait_until(
        lambda: statuses(server.client(), prefix, [run_id]) == ["complete"],
        15,
        message=f"status {statuses(server.client(), prefix, [run_id])}",
    )
    took = time.monotonic() - started
    assert took < 4.0, f"the job completed {took:.1f} s after its claim (lease 10 s)"
    assert counts(real_redis, prefix, "starts", [run_id]) == [1]


def test_a_lost_reply_to_the_claim_after_a_finish_does_not_idle_the_next_job(
    start_redis_server: Callable[..., RedisServer],
    make_proxy: Callable[[int], TcpProxy],
    make_service: Callable[..., Flask],
    real_redis: redis.Redis,
    settings: Settings,
    fault_report: FaultReport,
) -> None:
    """One thread, two jobs: the reply that hands the second job to the thread (with or after
    the first job's finish) is lost. The second job still runs within a few seconds, once."""
    server = start_redis_server(appendonly=False)
    proxy = make_proxy(server.port)
    prefix = settings.redis_key_prefix
    app = make_service(
        redis_url=proxy.url(), job_workers=1, job_lease_seconds=10.0, recovery_scan_seconds=1.0
    )
    run_ids = [submit_in_process(app, "sleep:1"), submit_in_process(app, "noop")]
    fault_report.watch(server.client(), real_redis, prefix, run_ids)
    get_jobs(app).runner.start()
    wait_until(lambda: counts(real_redis, prefix, "starts", run_ids) == [1, 0], 5)
    proxy.drop_reply_containing(run_ids[1].encode())
    started = time.monotonic()

    wait_until(proxy.dropped.is_set, 5, message="the second job was never handed out")
    wait_until(
        lambda: statuses(server.client(), prefix, run_ids) == ["complete"] * 2,
        15,
        message=f"statuses {statuses(server.client(), prefix, run_ids)}",
    )
    took = time.monotonic() - started
    assert took < 4.0, f"the second job completed {took:.1f} s after the first began (lease 10 s)"
    assert counts(real_redis, prefix, "starts", run_ids) == [1, 1]


def test_a_running_job_survives_a_rollback_that_lost_its_record(
    start_redis_server: Callable[..., RedisServer],
    make_service: Callable[..., Flask],
    real_redis: redis.Redis,
    settings: Settings,
    fault_report: FaultReport,
) -> None:
    """SAVE before the job is submitted; the job runs; Redis is killed and restarts from the
    snapshot, which never had the job. Its owner still holds the input and the claim: it writes
    the record back and completes the job, with a single start."""
    server = start_redis_server(appendonly=False)
    prefix = settings.redis_key_prefix
    app = make_service(
        redis_url=server.url, job_workers=1, job_lease_seconds=3.0, recovery_scan_seconds=0.5
    )
    server.client().save()  # a snapshot without the job
    run_id = submit_in_process(app, "sleep:4")
    fault_report.watch(server.client(), real_redis, prefix, [run_id])
    get_jobs(app).runner.start()
    wait_until(lambda: counts(real_redis, prefix, "starts", [run_id]) == [1], 5)

    server.kill()
    server.start()
    assert statuses(server.client(), prefix, [run_id]) == [""]  # the rollback lost the job

    wait_until(
        lambda: statuses(server.client(), prefix, [run_id]) == ["complete"],
        15,
        message=lambda: f"status {statuses(server.client(), prefix, [run_id])}",
    )
    assert counts(real_redis, prefix, "starts", [run_id]) == [1]


def test_a_claim_whose_reply_was_lost_at_stop_is_handed_back(
    start_redis_server: Callable[..., RedisServer],
    make_proxy: Callable[[int], TcpProxy],
    make_service: Callable[..., Flask],
    real_redis: redis.Redis,
    settings: Settings,
    fault_report: FaultReport,
) -> None:
    """Redis runs a claim whose reply never comes (the read times out), and the process stops
    taking jobs before it claims again. It retries the same claim before it leaves and hands
    the job back: another process runs it at once (its lease is 10 s), uncharged, once."""
    server = start_redis_server(appendonly=False)
    proxy = make_proxy(server.port)
    prefix = settings.redis_key_prefix
    options = {"job_workers": 1, "job_lease_seconds": 10.0, "recovery_scan_seconds": 1.0}
    stopping = make_service(redis_url=proxy.url(), redis_socket_timeout_s=2.0, **options)
    run_id = submit_in_process(stopping, "noop")
    fault_report.watch(server.client(), real_redis, prefix, [run_id])
    # Every claim reply names the job it claimed: swallow the first one that does.
    proxy.drop_reply_containing(run_id.encode(), reset=False)
    get_jobs(stopping).runner.start()
    wait_until(proxy.dropped.is_set, 5, message="the claim reply was never sent")
    started = time.monotonic()

    get_jobs(stopping).runner.stop_accepting()
    get_jobs(make_service(redis_url=server.url, **options)).runner.start()

    wait_until(
        lambda: statuses(server.client(), prefix, [run_id]) == ["complete"],
        20,
        message=lambda: f"status {statuses(server.client(), prefix, [run_id])}",
    )
    took = time.monotonic() - started
    record = get_jobs(stopping).store().get(run_id)
    assert took < 6.0, f"the job completed {took:.1f} s after its lost claim (lease 10 s)"
    assert record.failed_attempts == 0
    assert counts(real_redis, prefix, "starts", [run_id]) == [1]


def test_a_drain_writes_back_a_running_job_whose_record_redis_lost(
    start_redis_server: Callable[..., RedisServer],
    make_service: Callable[..., Flask],
    real_redis: redis.Redis,
    settings: Settings,
    fault_report: FaultReport,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Redis loses a running job (a rollback to a snapshot taken before its submit: record,
    tombstone and lease gone) just before a drain hands it back. Its owner still holds the input
    and writes it back as pending, so a second instance runs it to completion: one start before
    the hand-back, one after, a single finish, no failed attempt charged."""
    server = start_redis_server(appendonly=False)
    prefix = settings.redis_key_prefix
    keys = Keys(prefix)
    # Long leases: no heartbeat writes the record back and no recovery runs during the test.
    options = {
        "redis_url": server.url,
        "job_workers": 1,
        "job_lease_seconds": 30.0,
        "recovery_scan_seconds": 30.0,
    }
    draining = make_service(**options)
    run_id = submit_in_process(draining, "sleep:3")
    fault_report.watch(server.client(), real_redis, prefix, [run_id])
    get_jobs(draining).runner.start()
    wait_until(lambda: counts(real_redis, prefix, "starts", [run_id]) == [1], 5)
    hand_back = JobStore.hand_back

    def lose_then_hand_back(store: JobStore, *args: object, **kwargs: object) -> bool:
        server.client().delete(keys.job(run_id), keys.tombstone(run_id))
        server.client().zrem(keys.leases, run_id)
        return hand_back(store, *args, **kwargs)

    monkeypatch.setattr(JobStore, "hand_back", lose_then_hand_back)
    stragglers = get_jobs(draining).runner.drain(time.monotonic())
    monkeypatch.undo()
    get_jobs(make_service(**options)).runner.start()

    assert [job.run_id for job in stragglers] == [run_id]
    wait_until(
        lambda: statuses(server.client(), prefix, [run_id]) == ["complete"],
        15,
        message=lambda: f"status {statuses(server.client(), prefix, [run_id])!r}",
    )
    record = get_jobs(draining).store().get(run_id)
    assert (record.handbacks, record.failed_attempts) == (1, 0)
    assert counts(real_redis, prefix, "starts", [run_id]) == [2]
    assert counts(real_redis, prefix, "finishes", [run_id]) == [1]
