"""Redis outages longer than a job lease, with every service process alive.

A process that never died must not lose its job to another process because nobody could renew
leases while Redis was frozen: every job completes, and each job function starts once.
Redis is frozen with SIGSTOP (connections stay open, nothing answers), as a stalled host does.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import redis
from flask import Flask

from tests.conftest import SHARED_REDIS_URL
from tests.support.fault_summary import FaultReport
from tests.support.gunicorn_server import GunicornServer
from tests.support.jobs_view import child_pids, counts, post_job, statuses, submit_in_process
from tests.support.redis_server import RedisServer
from tests.support.tcp_proxy import TcpProxy
from tests.support.waiting import wait_until
from webapp.config import Settings
from webapp.jobs.extension import get_jobs

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LEASE_S = 2.0


@pytest.fixture
def redis_server(start_redis_server: Callable[..., RedisServer]) -> RedisServer:
    return start_redis_server(appendonly=True)


@pytest.fixture
def env(redis_server: RedisServer, settings: Settings, real_redis: redis.Redis) -> dict[str, str]:
    """Jobs on the private Redis; start counters on the shared one, which never stops."""
    return {
        "REDIS_URL": redis_server.url,
        "REDIS_KEY_PREFIX": settings.redis_key_prefix,
        "TEST_COUNTER_REDIS_URL": SHARED_REDIS_URL,
        "JOB_LEASE_SECONDS": str(LEASE_S),
        "RECOVERY_SCAN_SECONDS": "0.5",
        "REDIS_SOCKET_TIMEOUT": "1",
        "REDIS_CONNECT_TIMEOUT": "1",
    }


def test_outage_longer_than_the_lease_restarts_no_job(
    start_gunicorn: Callable[..., GunicornServer],
    env: dict[str, str],
    redis_server: RedisServer,
    real_redis: redis.Redis,
    settings: Settings,
    make_proxy: Callable[[int], TcpProxy],
    fault_report: FaultReport,
) -> None:
    """Two service processes run 3 jobs of 3.5 s each; Redis frozen 6 s (3 leases). One process
    reaches Redis again 1 s after the other (well within a lease): every job completes and
    each job function started exactly once; results finished during the outage are kept."""
    prefix = settings.redis_key_prefix
    env = {**env, "JOB_WORKERS": "3"}
    slow_path = make_proxy(redis_server.port)
    first = start_gunicorn({**env, "REDIS_URL": slow_path.url()})
    run_ids: list[str] = []
    fault_report.watch(redis_server.client(), real_redis, prefix, run_ids)
    run_ids += [post_job(first.url, "sleep:3.5") for _ in range(3)]
    wait_until(lambda: counts(real_redis, prefix, "starts", run_ids) == [1] * 3, 10)
    # The first process's 3 threads are busy: these 3 go to the second one.
    second = start_gunicorn(env)
    run_ids += [post_job(second.url, "sleep:3.5") for _ in range(3)]
    wait_until(lambda: counts(real_redis, prefix, "starts", run_ids) == [1] * 6, 10)

    redis_server.pause()
    slow_path.hold()
    time.sleep(3 * LEASE_S)
    redis_server.resume()
    time.sleep(1.0)
    slow_path.release()

    client = redis_server.client()
    wait_until(
        lambda: all(s in {"complete", "failed"} for s in statuses(client, prefix, run_ids)),
        25,
        interval_s=0.2,
        message=f"statuses {statuses(client, prefix, run_ids)}",
    )
    assert statuses(client, prefix, run_ids) == ["complete"] * 6
    assert counts(real_redis, prefix, "starts", run_ids) == [1] * 6


def test_three_outages_longer_than_the_lease_do_not_fail_a_job(
    start_gunicorn: Callable[..., GunicornServer],
    env: dict[str, str],
    redis_server: RedisServer,
    real_redis: redis.Redis,
    settings: Settings,
    make_proxy: Callable[[int], TcpProxy],
    fault_report: FaultReport,
) -> None:
    """One job on one of two instances; Redis frozen three times for 1.5 leases. The instance
    running the job reaches Redis 1 s after the other one each time (still well within a
    lease): the job completes, its function started once, and no outage counts as an attempt."""
    prefix = settings.redis_key_prefix
    env = {**env, "JOB_LEASE_SECONDS": "2", "MAX_ATTEMPTS": "3", "JOB_WORKERS": "1"}
    path_a, path_b = make_proxy(redis_server.port), make_proxy(redis_server.port)
    first = start_gunicorn({**env, "REDIS_URL": path_a.url()})
    run_id = post_job(first.url, "sleep:14")
    fault_report.watch(redis_server.client(), real_redis, prefix, [run_id])
    wait_until(lambda: counts(real_redis, prefix, "starts", [run_id]) == [1], 10)
    second = start_gunicorn({**env, "REDIS_URL": path_b.url()})

    for _ in range(3):
        owner_path = path_a if _runs_on(first, real_redis, prefix, run_id) else path_b
        redis_server.pause()
        owner_path.hold()
        time.sleep(3.0)
        redis_server.resume()
        time.sleep(1.0)
        owner_path.release()
        time.sleep(1.0)

    client = redis_server.client()
    wait_until(
        lambda: statuses(client, prefix, [run_id])[0] in {"complete", "failed"},
        20,
        interval_s=0.2,
    )
    assert statuses(client, prefix, [run_id]) == ["complete"], second.log_text()[-2000:]
    assert counts(real_redis, prefix, "starts", [run_id]) == [1]


def _runs_on(server: GunicornServer, counters: redis.Redis, prefix: str, run_id: str) -> bool:
    """True when the job's latest start happened in one of this server's workers."""
    assert server.process is not None
    pid = counters.get(f"{prefix}:test:pid:{run_id}")
    return pid is not None and int(pid) in child_pids(server.process.pid)


def test_a_process_started_after_an_outage_leaves_live_owners_their_jobs(
    start_redis_server: Callable[..., RedisServer],
    make_proxy: Callable[[int], TcpProxy],
    make_service: Callable[..., Flask],
    real_redis: redis.Redis,
    settings: Settings,
    fault_report: FaultReport,
) -> None:
    """Process A runs a job and loses Redis for three leases; a new process B starts while A
    is still cut off, and A gets back to Redis 1 s after B started (well within a lease). B
    does not requeue A's job before it has seen Redis steady for as long as A waits: the job
    completes with a single start."""
    server = start_redis_server(appendonly=False)
    path_a = make_proxy(server.port)
    prefix = settings.redis_key_prefix
    options = {"job_workers": 1, "job_lease_seconds": LEASE_S, "recovery_scan_seconds": 0.5}
    owner = make_service(redis_url=path_a.url(), redis_socket_timeout_s=2.0, **options)
    run_id = submit_in_process(owner, "sleep:10")
    fault_report.watch(server.client(), real_redis, prefix, [run_id])
    get_jobs(owner).runner.start()
    wait_until(lambda: counts(real_redis, prefix, "starts", [run_id]) == [1], 5)

    path_a.hold()
    time.sleep(3 * LEASE_S)
    get_jobs(make_service(redis_url=server.url, **options)).runner.start()
    time.sleep(1.0)
    path_a.release()

    client = server.client()
    wait_until(
        lambda: statuses(client, prefix, [run_id])[0] in {"complete", "failed"},
        20,
        interval_s=0.2,
        message=lambda: f"status {statuses(client, prefix, [run_id])}",
    )
    assert counts(real_redis, prefix, "starts", [run_id]) == [1]
    assert statuses(client, prefix, [run_id]) == ["complete"]
