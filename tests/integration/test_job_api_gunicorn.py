"""Cancelling and long-polling jobs under real gunicorn and Redis."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import redis
import requests

from tests.conftest import valid_players
from tests.support.gunicorn_server import GunicornServer
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


def _post(base: str, slate_id: str) -> str:
    body = {"slate_id": slate_id, "players": valid_players(), "n_scenarios": 0}
    response = requests.post(f"{base}/optimize", json=body, timeout=10)
    assert response.status_code == 202, response.text
    return response.json()["run_id"]


def _status(base: str, run_id: str, wait: float = 0) -> dict:
    query = f"?wait={wait}" if wait else ""
    return requests.get(f"{base}/optimize/{run_id}{query}", timeout=40).json()


def test_cancelling_a_running_job_frees_its_thread(
    start_gunicorn: Callable[..., GunicornServer],
    service_env: dict,
    real_redis: redis.Redis,
    settings,
) -> None:
    """A cancelled 60 s job stops within a heartbeat, never finishes, and the only job thread
    takes the next job."""
    server = start_gunicorn({**service_env, "JOB_WORKERS": "1"})
    long_job = _post(server.url, "sleep:60")
    assert _status(server.url, long_job, wait=10)["status"] == "running"

    cancelled = requests.delete(f"{server.url}/optimize/{long_job}", timeout=10)
    next_job = _post(server.url, "noop")
    started = time.monotonic()
    wait_until(lambda: _status(server.url, next_job)["status"] == "complete", 10)

    assert cancelled.status_code == 200 and cancelled.json()["error_code"] == "cancelled"
    assert time.monotonic() - started < 5  # lease 3 s: a heartbeat every second
    server.wait_for_log("job_fenced", timeout_s=5)
    finishes = real_redis.get(f"{settings.redis_key_prefix}:test:finishes:{long_job}")
    assert finishes is None
    assert _status(server.url, long_job)["status"] == "failed"


def test_a_waiting_read_answers_at_the_change(
    start_gunicorn: Callable[..., GunicornServer], service_env: dict
) -> None:
    """?wait=30 on a running 1 s job answers when it completes, not after 30 s."""
    server = start_gunicorn(service_env)
    run_id = _post(server.url, "sleep:1")
    wait_until(lambda: _status(server.url, run_id)["status"] == "running", 10)
    started = time.monotonic()

    document = _status(server.url, run_id, wait=30)

    assert document["status"] == "complete"
    assert time.monotonic() - started < 5
