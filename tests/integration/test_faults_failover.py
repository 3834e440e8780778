"""A failover to a replica that missed the end of a job, or the confirmation of its submit.

With REDIS_MIN_REPLICAS a job's outcome counts as written only once the replicas hold it: a
finish that only the primary took is lost when a replica is promoted, and the job would be
reclaimed and run again. The service reaches Redis through a loopback proxy that is pointed at
the promoted replica, as a virtual IP or a Sentinel-aware client would follow it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

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
from webapp.jobs import scripts
from webapp.jobs.extension import get_jobs
from webapp.jobs.keys import Keys
from webapp.jobs.scripts import Script
from webapp.jobs.store import JobStore

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# No 5 s pause before a replica's first full sync.
FAST_SYNC = ("--repl-diskless-sync-delay", "0")


def _replica_of(start_redis_server: Callable[..., RedisServer], primary: RedisServer):
    replica = start_redis_server(appendonly=False)
    replica.client().replicaof("127.0.0.1", primary.port)
    wait_until(
        lambda: primary.client().info("replication").get("slave0", {}).get("state") == "online",
        10,
        message="the replica did not sync",
    )
    return replica


def test_a_finish_the_replicas_missed_is_written_again_after_a_failover(
    start_redis_server: Callable[..., RedisServer],
    make_proxy: Callable[[int], TcpProxy],
    make_service: Callable[..., Flask],
    real_redis: redis.Redis,
    settings: Settings,
    log_capture: LogCapture,
    fault_report: FaultReport,
) -> None:
    """The replica is cut off from the primary while the job runs, so WAIT on the finish times
    out; the primary dies and the replica is promoted. The job is complete on the new primary
    with the result of its only run (not reclaimed and run again), and once a replica holds the
    new primary's data the attempt is over."""
    primary = start_redis_server(appendonly=False, extra_args=FAST_SYNC)
    replica = _replica_of(start_redis_server, primary)
    proxy = make_proxy(primary.port)
    prefix = settings.redis_key_prefix
    app = make_service(
        redis_url=proxy.url(),
        redis_min_replicas=1,
        redis_wait_timeout_ms=300,
        redis_socket_timeout_s=2.0,  # more than the dispatcher's 1 s wait for work
        redis_connect_timeout_s=1.0,
        job_workers=1,
        job_lease_seconds=4.0,
        recovery_scan_seconds=0.5,
    )
    # Submitted with a WAIT long enough for a busy machine; the runner's own WAIT is short.
    submitter = make_service(
        redis_url=proxy.url(), redis_min_replicas=1, redis_wait_timeout_ms=10_000
    )
    run_id = submit_in_process(submitter, "sleep:1.5")
    fault_report.watch(replica.client(), real_redis, prefix, [run_id])
    capture_logs_into(log_capture)
    get_jobs(app).runner.start()
    wait_until(lambda: counts(real_redis, prefix, "starts", [run_id]) == [1], 5)
    wait_until(lambda: statuses(replica.client(), prefix, [run_id]) == ["running"], 5)

    replica.client().replicaof("no", "one")  # it keeps the job as it was, running
    # The finish reached the primary and its WAIT ran out: the outcome was then dropped (one
    # event) or is being written again (the other).
    wait_until(
        lambda: any(
            e["event"] in {"job_runner_error", "job_result_write_retry"}
            for e in log_capture.entries
        ),
        10,
        message="the finish's WAIT did not time out",
    )
    assert statuses(primary.client(), prefix, [run_id]) == ["complete"]
    primary.kill()
    proxy.retarget(replica.port)

    wait_until(
        lambda: statuses(replica.client(), prefix, [run_id]) == ["complete"],
        30,
        interval_s=0.2,
        message=lambda: (
            f"status {statuses(replica.client(), prefix, [run_id])}, events "
            f"{[(e['event'], e.get('error')) for e in log_capture.entries]}"
        ),
    )
    result = app.test_client().get(f"/optimize/{run_id}/result").get_json()
    assert result["result"]["start"] == 1, "the job was reclaimed and run again"
    assert counts(real_redis, prefix, "starts", [run_id]) == [1]
    _replica_of(start_redis_server, replica)
    wait_until(lambda: not get_jobs(app).runner.running(), 15, message="the finish never ended")


def test_a_job_confirmed_only_on_the_old_primary_runs_once_its_hold_is_over(
    start_redis_server: Callable[..., RedisServer],
    make_proxy: Callable[[int], TcpProxy],
    make_service: Callable[..., Flask],
    real_redis: redis.Redis,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    fault_report: FaultReport,
) -> None:
    """WAIT saw the replica hold the job; the replica is promoted before the CONFIRM that
    follows reaches it, so the new primary holds the acknowledged job unconfirmed. It is not
    lost: no process claims it before its hold is over (REDIS_WAIT_TIMEOUT_MS + 10 s after its
    submit), then it runs, once, and completes on the new primary."""
    primary = start_redis_server(appendonly=False, extra_args=FAST_SYNC)
    replica = _replica_of(start_redis_server, primary)
    proxy = make_proxy(primary.port)
    prefix = settings.redis_key_prefix
    keys = Keys(prefix)
    submitter = make_service(
        redis_url=proxy.url(), redis_min_replicas=1, redis_wait_timeout_ms=2000
    )
    run = JobStore._run

    def promote_before_confirm(store: JobStore, script: Script, *args: Any, **kwargs: Any) -> Any:
        if script is scripts.CONFIRM:
            replica.client().replicaof("no", "one")  # it keeps the job as the WAIT saw it
        return run(store, script, *args, **kwargs)

    monkeypatch.setattr(JobStore, "_run", promote_before_confirm)
    submitted = time.monotonic()
    run_id = submit_in_process(submitter, "noop")
    monkeypatch.undo()
    fault_report.watch(replica.client(), real_redis, prefix, [run_id])
    held = replica.client().hmget(keys.job(run_id), ["unconfirmed_until_ms", "enqueued_ms"])
    assert primary.client().hget(keys.job(run_id), "unconfirmed_until_ms") is None
    assert held[0] is not None, "the replica received the CONFIRM: the ordering was not forced"
    hold_s = (int(held[0]) - int(held[1])) / 1000
    primary.kill()
    proxy.retarget(replica.port)
    runner = make_service(redis_url=proxy.url(), redis_min_replicas=0, job_workers=1)
    get_jobs(runner).runner.start()

    wait_until(
        lambda: statuses(replica.client(), prefix, [run_id]) == ["complete"],
        hold_s + 10,
        interval_s=0.1,
        message=lambda: f"status {statuses(replica.client(), prefix, [run_id])}",
    )
    took = time.monotonic() - submitted
    assert hold_s == 12.0  # REDIS_WAIT_TIMEOUT_MS (2 s) + 10 s
    assert hold_s - 0.5 < took < hold_s + 5, f"completed {took:.1f} s after its submit"
    assert counts(real_redis, prefix, "starts", [run_id]) == [1]
