"""Readiness under real gunicorn against a private Redis that is stopped, frozen and restarted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.conftest import valid_players
from tests.support.gunicorn_server import ROOT, GunicornServer
from tests.support.redis_server import RedisServer
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def redis_server(start_redis_server: Callable[..., RedisServer]) -> RedisServer:
    return start_redis_server(appendonly=True)


@pytest.fixture
def env(redis_server: RedisServer) -> dict[str, str]:
    return {"REDIS_URL": redis_server.url, "REDIS_KEY_PREFIX": "health", "READY_CACHE_SECONDS": "0"}


def _timed_get(url: str) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = requests.get(url, timeout=10)
    return response, time.monotonic() - started


def test_redis_down_then_back(
    start_gunicorn: Callable[..., GunicornServer], env: dict, redis_server: RedisServer
) -> None:
    """Redis stopped: /ready 503 fast with the redis entry failing, /health 200; restarted:
    ready again without restarting the service."""
    server = start_gunicorn(env)
    assert requests.get(f"{server.url}/ready", timeout=5).status_code == 200

    redis_server.stop()
    ready, took = _timed_get(f"{server.url}/ready")
    health = requests.get(f"{server.url}/health", timeout=5)
    redis_server.start()

    assert ready.status_code == 503 and took < 3.5
    assert ready.json()["checks"]["redis:responseTime"][0]["status"] == "fail"
    assert health.status_code == 200
    wait_until(lambda: requests.get(f"{server.url}/ready", timeout=5).status_code == 200, 10)


def test_frozen_redis_is_bounded_to_the_check_timeout(
    start_gunicorn: Callable[..., GunicornServer], env: dict, redis_server: RedisServer
) -> None:
    """A Redis that accepts but never answers (SIGSTOP) fails readiness within 3.5 s."""
    server = start_gunicorn(env)
    requests.get(f"{server.url}/ready", timeout=5)  # warm the probe pool

    os.kill(redis_server.process.pid, signal.SIGSTOP)
    try:
        ready, took = _timed_get(f"{server.url}/ready")
        again, took_again = _timed_get(f"{server.url}/ready")
    finally:
        os.kill(redis_server.process.pid, signal.SIGCONT)

    assert ready.status_code == 503 and took < 3.5
    assert again.status_code == 503 and took_again < 3.5
    assert "3 s" in ready.json()["checks"]["redis:responseTime"][0]["output"]


def test_probe_storm_does_not_open_a_connection_per_probe(
    start_gunicorn: Callable[..., GunicornServer], env: dict, redis_server: RedisServer
) -> None:
    """50 concurrent /ready probes use the small probe pool, not 50 Redis connections."""
    server = start_gunicorn({**env, "GUNICORN_THREADS": "16"})
    admin = redis_server.client()
    admin.client_setname("test-admin")
    peak = [0]
    storming = threading.Event()

    def service_connections() -> int:
        return sum(1 for c in admin.client_list() if c.get("name") != "test-admin")

    def sample() -> None:
        while not storming.is_set():
            peak[0] = max(peak[0], service_connections())
            time.sleep(0.005)

    before = service_connections()
    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        with ThreadPoolExecutor(50) as pool:
            statuses = list(
                pool.map(
                    lambda _: requests.get(f"{server.url}/ready", timeout=10).status_code, range(50)
                )
            )
    finally:
        storming.set()
        sampler.join(5)

    assert set(statuses) == {200}
    # the worker's job pool (dispatcher, maintenance) plus the 2-connection probe pool
    assert peak[0] <= 6, f"service connections went from {before} to {peak[0]}"


def test_drain_command_takes_the_instance_out_of_rotation(
    start_gunicorn: Callable[..., GunicornServer], env: dict, redis_server: RedisServer
) -> None:
    """`python -m webapp.drain` makes /ready 503 draining and POST 503, keeps reads working and
    takes no new job; `--undo` puts the instance back."""
    server = start_gunicorn(env, workers=2)
    body = {"slate_id": "noop", "players": valid_players()}
    done = requests.post(f"{server.url}/optimize", json=body, timeout=5).json()["run_id"]
    command_env = {**server.env, **env}

    subprocess.run([sys.executable, "-m", "webapp.drain"], env=command_env, cwd=ROOT, check=True)
    time.sleep(0.5)  # the flag is looked up at most every 0.25 s
    ready = requests.get(f"{server.url}/ready", timeout=5)
    refused = requests.post(f"{server.url}/optimize", json=body, timeout=5)
    read = requests.get(f"{server.url}/optimize/{done}", timeout=5)
    redis_server.client().zadd("health:queue:pending", {"01ARZ3NDEKTSV4RRFFQ69G5FAV": 0})
    time.sleep(1.0)
    untouched = redis_server.client().zcard("health:queue:pending")
    subprocess.run(
        [sys.executable, "-m", "webapp.drain", "--undo"], env=command_env, cwd=ROOT, check=True
    )

    assert ready.status_code == 503 and ready.json()["lifecycle"] == "draining"
    assert refused.status_code == 503 and refused.headers["Retry-After"]
    assert read.status_code == 200
    assert untouched == 1, "a draining instance must not take jobs"
    wait_until(lambda: requests.get(f"{server.url}/ready", timeout=5).status_code == 200, 5)
    wait_until(lambda: redis_server.client().zcard("health:queue:pending") == 0, 5)


def test_neo4j_silent_and_redis_frozen_together_stay_within_bound(
    start_gunicorn: Callable[..., GunicornServer], env: dict, redis_server: RedisServer
) -> None:
    """Both dependencies hanging at once: the checks run concurrently, so 503 within 3.5 s."""
    from tests.support.bolt_peer import SilentListener

    with SilentListener() as silent:
        server = start_gunicorn({**env, "NEO4J_URI": silent.uri, "NEO4J_PASSWORD": "pw-9f3k"})
        neo4j_only, took_neo4j = _timed_get(f"{server.url}/ready")
        os.kill(redis_server.process.pid, signal.SIGSTOP)
        try:
            both, took_both = _timed_get(f"{server.url}/ready")
        finally:
            os.kill(redis_server.process.pid, signal.SIGCONT)

    assert neo4j_only.status_code == 503 and took_neo4j < 3.5
    assert neo4j_only.json()["checks"]["neo4j:responseTime"][0]["status"] == "fail"
    assert both.status_code == 503 and took_both < 3.5
    failing = {k for k, v in both.json()["checks"].items() if v[0]["status"] == "fail"}
    assert {"neo4j:responseTime", "redis:responseTime"} <= failing
    assert "pw-9f3k" not in json.dumps(both.json())
    assert "pw-9f3k" not in server.log_text()
