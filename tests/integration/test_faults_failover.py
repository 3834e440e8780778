"""A failover to a replica that missed the end of a job.

With REDIS_MIN_REPLICAS a job's outcome counts as written only once the replicas hold it: a
finish that only the primary took is lost when a replica is promoted, and the job would be
reclaimed and run again. The service reaches Redis through a loopback proxy that is pointed at
the promoted replica, as a virtual IP or a Sentinel-aware client would follow it.
"""

from __future__ import annotations

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
