"""No accepted job is lost: drain on SIGTERM, recovery after kill -9, Redis outages, fencing.

Real gunicorn and a private redis-server with AOF, driven by signals from the tests.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Callable

import pytest
import redis
import requests

from tests.conftest import valid_players
from tests.support.gunicorn_server import GunicornServer
from tests.support.redis_server import RedisServer
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PREFIX = "rel"


@pytest.fixture
def redis_server(start_redis_server: Callable[..., RedisServer]) -> RedisServer:
    return start_redis_server(appendonly=True)


@pytest.fixture
def env(redis_server: RedisServer) -> dict[str, str]:
    """Fast leases and scans so recovery happens within seconds."""
    return {
        "REDIS_URL": redis_server.url,
        "REDIS_KEY_PREFIX": PREFIX,
        "TEST_COUNTER_REDIS_URL": redis_server.url,
        "JOB_LEASE_SECONDS": "1.5",
        "RECOVERY_SCAN_SECONDS": "0.5",
        "REDIS_SOCKET_TIMEOUT": "2",
        "REDIS_CONNECT_TIMEOUT": "2",
        "READY_CHECK_TIMEOUT": "1",
        "READY_CACHE_SECONDS": "0",
    }


def _post(base: str, slate_id: str) -> str:
    body = {"slate_id": slate_id, "players": valid_players(), "n_scenarios": 0}
    response = requests.post(f"{base}/optimize", json=body, timeout=10)
    assert response.status_code == 202, response.text
    return response.json()["run_id"]


def _statuses(client: redis.Redis, run_ids: list[str]) -> list[str]:
    with client.pipeline() as pipe:
        for run_id in run_ids:
            pipe.hget(f"{PREFIX}:job:{run_id}", "status")
        return [(s or b"").decode() for s in pipe.execute()]


def _counter(client: redis.Redis, what: str, run_ids: list[str]) -> list[int]:
    values = client.mget([f"{PREFIX}:test:{what}:{r}" for r in run_ids])
    return [int(v or 0) for v in values]


def _lost_the_job(server: GunicornServer, run_id: str) -> bool:
    """The server logged that its attempt at the job was fenced off."""
    return any(
        line.get("event") in {"job_lease_lost", "job_fenced"} and line.get("job_id") == run_id
        for line in server.log_lines()
    )


def _worker_pids(server: GunicornServer) -> list[int]:
    lines = server.wait_for_log("job_runner_started", count=server.workers)
    return [int(line["owner"].rsplit(":", 1)[1]) for line in lines]


def test_kill_9_of_the_whole_tree_loses_no_job(
    start_gunicorn: Callable[..., GunicornServer], env: dict, redis_server: RedisServer
) -> None:
    """10 jobs mid-run, kill -9 master and workers, start again: all complete, each result once."""
    client = redis_server.client()
    first = start_gunicorn({**env, "JOB_WORKERS": "5"}, workers=2)
    run_ids = [_post(first.url, "sleep:2") for _ in range(10)]
    # Every job function has begun (a claimed job's thread may not have started it yet).
    wait_until(lambda: _counter(client, "starts", run_ids) == [1] * 10, 10)

    first.kill_all()
    restarted_at = time.monotonic()
    second = start_gunicorn({**env, "JOB_WORKERS": "5"}, workers=2)
    wait_until(lambda: set(_statuses(client, run_ids)) == {"complete"}, 30, interval_s=0.1)
    recovery_s = time.monotonic() - restarted_at

    assert _counter(client, "finishes", run_ids) == [1] * 10
    assert _counter(client, "starts", run_ids) == [2] * 10
    assert recovery_s < 15, f"recovery took {recovery_s:.1f} s"
    reclaimed = second.wait_for_log("job_reclaimed", count=len(run_ids))
    assert {line["job_id"] for line in reclaimed} == set(run_ids)


def test_sigterm_lets_short_jobs_finish_then_exits(
    start_gunicorn: Callable[..., GunicornServer], env: dict, redis_server: RedisServer
) -> None:
    """Jobs shorter than the drain complete; the server exits soon after; the port is closed."""
    client = redis_server.client()
    server = start_gunicorn({**env, "JOB_WORKERS": "3"})
    run_ids = [_post(server.url, "sleep:1.5") for _ in range(3)]
    wait_until(lambda: _statuses(client, run_ids).count("running") == 3, 10)

    server.terminate()
    time.sleep(0.3)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
    server.wait_exit(timeout_s=20)
    exited = time.time()

    assert _statuses(client, run_ids) == ["complete"] * 3
    finished = [line for line in server.log_lines() if line.get("event") == "job_completed"]
    last_finish = max(_epoch(line["timestamp"]) for line in finished)
    assert exited - last_finish < 2.0, f"exit came {exited - last_finish:.2f} s after the last job"


def _epoch(timestamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()


def test_sigterm_hands_back_a_long_job_to_another_instance(
    start_gunicorn: Callable[..., GunicornServer], env: dict, redis_server: RedisServer
) -> None:
    """At the drain deadline a straggler is logged at WARNING, handed back and run elsewhere."""
    client = redis_server.client()
    draining = start_gunicorn({**env, "DRAIN_TIMEOUT_SECONDS": "1"})
    run_id = _post(draining.url, "sleep:4")
    wait_until(lambda: _statuses(client, [run_id]) == ["running"], 10)

    sent = time.monotonic()
    draining.terminate()
    draining.wait_exit(timeout_s=15)
    exit_after = time.monotonic() - sent
    other = start_gunicorn(env)
    wait_until(lambda: _statuses(client, [run_id]) == ["complete"], 20)

    (handed,) = [line for line in draining.log_lines() if line.get("event") == "job_handed_back"]
    assert handed["level"] == "warning" and handed["job_id"] == run_id
    assert handed["request_id"] and handed["handed_back"] is True
    # the worker's last line, written just before it ends itself with os._exit
    assert any(line["event"] == "process_exit_with_stragglers" for line in draining.log_lines())
    assert 1.0 <= exit_after < 3.0, f"exited {exit_after:.2f} s after SIGTERM with a 1 s drain"
    record = client.hgetall(f"{PREFIX}:job:{run_id}")
    assert record[b"attempts"] == b"2" and record[b"handbacks"] == b"1"
    assert other.wait_for_log("job_completed")


def test_idle_server_exits_quickly_on_sigterm(
    start_gunicorn: Callable[..., GunicornServer], env: dict
) -> None:
    """With no job running, SIGTERM ends the server in well under 2 s, not after the drain."""
    server = start_gunicorn(env, workers=2)

    started = time.monotonic()
    server.terminate()
    server.wait_exit(timeout_s=10)

    assert time.monotonic() - started < 2.0


def test_redis_outage_mid_run_loses_nothing(
    start_gunicorn: Callable[..., GunicornServer], env: dict, redis_server: RedisServer
) -> None:
    """Redis down for 5 s: health stays 200, ready and submits get 503 JSON; afterwards all jobs
    complete and the service works without a restart."""
    server = start_gunicorn({**env, "JOB_WORKERS": "4"})
    run_ids = [_post(server.url, "sleep:2") for _ in range(4)]
    client = redis_server.client()
    wait_until(lambda: _statuses(client, run_ids).count("running") == 4, 10)

    redis_server.stop()
    down_at = time.monotonic()
    health = requests.get(f"{server.url}/health", timeout=5)
    ready = requests.get(f"{server.url}/ready", timeout=5)
    started = time.monotonic()
    submit = requests.post(
        f"{server.url}/optimize", json={"slate_id": "noop", "players": valid_players()}, timeout=10
    )
    submit_s = time.monotonic() - started
    read = requests.get(f"{server.url}/optimize/{run_ids[0]}", timeout=10)
    time.sleep(max(0.0, 5 - (time.monotonic() - down_at)))
    redis_server.start()
    client = redis_server.client()

    assert health.status_code == 200
    assert ready.status_code == 503
    assert ready.json()["checks"]["redis:responseTime"][0]["status"] == "fail"
    assert submit.status_code == 503 and submit.json()["error"]["code"] == "redis_unavailable"
    assert submit_s < 2.5
    assert read.status_code == 503 and read.headers["Retry-After"]
    wait_until(
        lambda: set(_statuses(client, run_ids)) == {"complete"},
        30,
        interval_s=0.2,
        message=f"statuses {_statuses(client, run_ids)}\n{server.log_text()[-3000:]}",
    )
    assert _counter(client, "finishes", run_ids) == [1] * 4
    after = _post(server.url, "noop")
    wait_until(lambda: _statuses(client, [after]) == ["complete"], 10)
    wait_until(lambda: requests.get(f"{server.url}/ready", timeout=5).status_code == 200, 10)


def test_redis_restart_while_idle_keeps_every_record(
    start_gunicorn: Callable[..., GunicornServer], env: dict, redis_server: RedisServer
) -> None:
    """Jobs written before a Redis restart (AOF) are all readable after it."""
    server = start_gunicorn(env)
    run_ids = [_post(server.url, "noop") for _ in range(5)]
    client = redis_server.client()
    wait_until(lambda: set(_statuses(client, run_ids)) == {"complete"}, 10)
    time.sleep(1.2)  # appendfsync everysec

    redis_server.kill()
    redis_server.start()

    for run_id in run_ids:
        response = requests.get(f"{server.url}/optimize/{run_id}/result", timeout=10)
        assert response.status_code == 200, response.text


def test_zombie_runner_cannot_overwrite_the_job(
    start_gunicorn: Callable[..., GunicornServer], env: dict, redis_server: RedisServer
) -> None:
    """A worker frozen past its lease loses the job to another instance; when it wakes up, its
    late writes are refused and the other instance's result stands."""
    client = redis_server.client()
    zombie = start_gunicorn(env)
    (zombie_pid,) = _worker_pids(zombie)
    run_id = _post(zombie.url, "sleep:2.5")
    wait_until(lambda: _statuses(client, [run_id]) == ["running"], 10)

    os.kill(zombie_pid, signal.SIGSTOP)
    try:
        rescuer = start_gunicorn(env)
        wait_until(lambda: _statuses(client, [run_id]) == ["complete"], 20)
    finally:
        os.kill(zombie_pid, signal.SIGCONT)
    # The zombie finds out either way: its heartbeat sees the lease gone, or its next progress
    # write is refused first; whichever thread runs first after SIGCONT.
    wait_until(lambda: _lost_the_job(zombie, run_id), 10)

    result = requests.get(f"{rescuer.url}/optimize/{run_id}/result", timeout=10).json()
    assert result["result"]["attempt"] == 2
    assert _counter(client, "finishes", [run_id]) == [1]


def test_job_that_kills_its_process_fails_after_max_attempts(
    start_gunicorn: Callable[..., GunicornServer], env: dict, redis_server: RedisServer
) -> None:
    """A job that crashes its worker every time ends failed with a clear error, not in a loop."""
    client = redis_server.client()
    server = start_gunicorn({**env, "MAX_ATTEMPTS": "3", "JOB_LEASE_SECONDS": "1"})

    run_id = _post(server.url, "crash")
    wait_until(lambda: _statuses(client, [run_id]) == ["failed"], 40, interval_s=0.2)

    document = requests.get(f"{server.url}/optimize/{run_id}", timeout=10).json()
    assert document["attempts"] == 3
    assert "MAX_ATTEMPTS=3" in document["error"]
    assert _counter(client, "starts", [run_id]) == [3]
