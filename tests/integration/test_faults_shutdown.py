"""Every way a worker stops hands its running jobs back at once.

An impatient operator (or a supervisor escalating) sends SIGTERM, then SIGINT a second later;
gunicorn's timeout kills a worker with SIGABRT. In each case the jobs running there go back to
the queue within seconds (pending, or already started again elsewhere), instead of staying
"running" until their lease (here 10 s) runs out.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

import pytest
import redis

from tests.conftest import SHARED_REDIS_URL
from tests.support.fault_summary import FaultReport
from tests.support.gunicorn_server import GunicornServer
from tests.support.jobs_view import child_pids, counts, post_job, statuses
from tests.support.redis_server import RedisServer
from tests.support.waiting import wait_until
from webapp.config import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LEASE_S = 10.0
HAND_BACK_WITHIN_S = 4.0


@pytest.fixture
def redis_server(start_redis_server: Callable[..., RedisServer]) -> RedisServer:
    return start_redis_server(appendonly=True)


@pytest.fixture
def env(redis_server: RedisServer, settings: Settings, real_redis: redis.Redis) -> dict[str, str]:
    """A long drain and a long lease: only a hand-back can free the jobs quickly."""
    return {
        "REDIS_URL": redis_server.url,
        "REDIS_KEY_PREFIX": settings.redis_key_prefix,
        "TEST_COUNTER_REDIS_URL": SHARED_REDIS_URL,
        "JOB_LEASE_SECONDS": str(LEASE_S),
        "RECOVERY_SCAN_SECONDS": "1",
        "DRAIN_TIMEOUT_SECONDS": "30",
        "JOB_WORKERS": "2",
    }


def _handed_back(client: redis.Redis, counters: redis.Redis, prefix: str, run_ids: list[str]):
    """Every job is pending again, or was started again by another process."""
    states = statuses(client, prefix, run_ids)
    starts = counts(counters, prefix, "starts", run_ids)
    return all(s == "pending" or n >= 2 for s, n in zip(states, starts, strict=True))


def test_sigterm_then_sigint_hands_back_running_jobs(
    start_gunicorn: Callable[..., GunicornServer],
    env: dict[str, str],
    redis_server: RedisServer,
    real_redis: redis.Redis,
    settings: Settings,
    fault_report: FaultReport,
) -> None:
    """Two long jobs running; SIGTERM, then SIGINT 1 s later: both jobs are back in the queue
    within a few seconds of the SIGINT, and the server exits."""
    prefix = settings.redis_key_prefix
    client = redis_server.client()
    server = start_gunicorn(env)
    run_ids = [post_job(server.url, "sleep:30") for _ in range(2)]
    fault_report.watch(client, real_redis, prefix, run_ids)
    wait_until(lambda: counts(real_redis, prefix, "starts", run_ids) == [1, 1], 10)

    server.signal(signal.SIGTERM)
    time.sleep(1.0)
    server.signal(signal.SIGINT)
    sent = time.monotonic()

    wait_until(
        lambda: _handed_back(client, real_redis, prefix, run_ids),
        HAND_BACK_WITHIN_S,
        message=f"statuses {statuses(client, prefix, run_ids)} after SIGTERM + SIGINT",
    )
    server.wait_exit(timeout_s=10)
    assert time.monotonic() - sent < 10


def test_worker_killed_by_sigabrt_hands_back_its_job(
    start_gunicorn: Callable[..., GunicornServer],
    env: dict[str, str],
    redis_server: RedisServer,
    real_redis: redis.Redis,
    settings: Settings,
    fault_report: FaultReport,
) -> None:
    """SIGABRT to the worker running a long job (as gunicorn's `timeout` does): the job is back
    in the queue, or running again in the replacement worker, within a few seconds."""
    prefix = settings.redis_key_prefix
    client = redis_server.client()
    server = start_gunicorn(env)
    run_id = post_job(server.url, "sleep:30")
    fault_report.watch(client, real_redis, prefix, [run_id])
    wait_until(lambda: counts(real_redis, prefix, "starts", [run_id]) == [1], 10)
    assert server.process is not None
    (worker_pid,) = child_pids(server.process.pid)

    os.kill(worker_pid, signal.SIGABRT)

    wait_until(
        lambda: _handed_back(client, real_redis, prefix, [run_id]),
        HAND_BACK_WITHIN_S,
        message=f"status {statuses(client, prefix, [run_id])} after SIGABRT",
    )
