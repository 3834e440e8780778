"""Job compute in child processes under real gunicorn (2 workers) and redis-server: stop means
stop, limits hold, a crash stays in its child, drains resume, and no child outlives its master."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bench.slates import nfl_slate
from tests.conftest import valid_players
from tests.support.gunicorn_server import GunicornServer
from tests.support.jobs_view import child_pids
from tests.support.processes import compute_children, cpu_seconds, descendants, process_name
from tests.support.waiting import wait_until
from webapp.config import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

COMPUTE_APP = "tests.support.apps:create_compute_app()"


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[GunicornServer]]:
    started: list[GunicornServer] = []
    yield started
    for server in started:
        server.stop()


def _start(
    servers: list[GunicornServer],
    tmp_path: Path,
    settings: Settings,
    app: str = COMPUTE_APP,
    **env: str,
) -> GunicornServer:
    environment = {
        "REDIS_URL": settings.redis_url,
        "REDIS_KEY_PREFIX": settings.redis_key_prefix,
        "JOB_WORKERS": "1",
        "JOB_LEASE_SECONDS": "10",
        "RECOVERY_SCAN_SECONDS": "1",
        **env,
    }
    server = GunicornServer(
        tmp_path, environment, app=app, workers=2, name=f"gunicorn{len(servers)}"
    )
    servers.append(server)
    return server.start()


def _submit(server: GunicornServer, body: dict) -> str:
    response = requests.post(f"{server.url}/optimize", json=body, timeout=10)
    assert response.status_code == 202, response.text
    return response.json()["run_id"]


def _scripted(server: GunicornServer, script: str) -> str:
    return _submit(server, {"slate_id": script, "n_scenarios": 0, "players": valid_players()})


def _status(server: GunicornServer, run_id: str) -> dict:
    return requests.get(f"{server.url}/optimize/{run_id}", timeout=10).json()


def _ended(server: GunicornServer, run_id: str, timeout_s: float) -> dict:
    return wait_until(
        lambda: (s := _status(server, run_id))["status"] in {"complete", "failed"} and s,
        timeout_s,
        0.1,
        lambda: f"job {run_id} did not end: {_status(server, run_id)}",
    )


def _computing_in(server: GunicornServer, run_id: str) -> int:
    """The pid of the compute child running a burn:<s> job (its phase names it)."""
    phase = wait_until(
        lambda: (
            (_status(server, run_id).get("phase") or "").startswith("burning:")
            and _status(server, run_id)["phase"]
        ),
        20,
        0.05,
        "the job did not start computing",
    )
    return int(phase.split(":")[1])


def _cores_used(pids: list[int], window_s: float = 1.0) -> float:
    before = cpu_seconds(pids)
    time.sleep(window_s)
    return (cpu_seconds(pids) - before) / window_s


def test_delete_of_a_running_optimize_job_brings_cpu_to_idle(
    servers: list[GunicornServer], tmp_path: Path, settings: Settings, real_redis
) -> None:
    """A 150-lineup simulated optimize job on a 460-player slate computes in its child;
    DELETE, and within 2 s the whole instance is idle again (CPU read from /proc)."""
    server = _start(servers, tmp_path, settings, app="webapp:create_app()", OPTIMIZER_THREADS="1")
    body = {"slate_id": "big", "sport": "nfl", "n_lineups": 150, "n_scenarios": 20_000,
            "seed": 3, "players": nfl_slate(seed=3)}  # fmt: skip
    run_id = _submit(server, body)
    # The job's child has computed for a while (idle children of the slots have not).
    wait_until(
        lambda: cpu_seconds(compute_children(server.process.pid)) > 1.0, 60, 0.1, "no compute"
    )
    [busy] = [p for p in compute_children(server.process.pid) if cpu_seconds([p]) > 1.0]

    assert requests.delete(f"{server.url}/optimize/{run_id}", timeout=10).status_code == 200
    time.sleep(2.0)
    idle = _cores_used([server.process.pid, *descendants(server.process.pid)], 1.0)

    assert idle < 0.1, f"{idle:.2f} cores still busy 2 s after DELETE"
    assert busy not in compute_children(server.process.pid)
    assert _status(server, run_id)["status"] == "failed"


def test_kill_9_of_a_child_is_a_retried_attempt_and_nothing_else(
    servers: list[GunicornServer], tmp_path: Path, settings: Settings, real_redis
) -> None:
    """kill -9 of a compute child: both workers keep their pids, /health answers, and the job
    runs again and completes (one failed attempt charged)."""
    server = _start(servers, tmp_path, settings)
    workers = sorted(child_pids(server.process.pid))
    run_id = _scripted(server, "burn:3")
    child = _computing_in(server, run_id)

    os.kill(child, signal.SIGKILL)
    health = requests.get(f"{server.url}/health", timeout=5)
    ended = _ended(server, run_id, 30)

    assert health.status_code == 200
    assert sorted(child_pids(server.process.pid)) == workers
    assert ended["status"] == "complete"
    assert ended["attempts"] == 2
    assert server.wait_for_log("job_retry_scheduled")[0]["error"].endswith("(signal 9)")


def test_a_job_past_job_timeout_seconds_fails_timed_out(
    servers: list[GunicornServer], tmp_path: Path, settings: Settings, real_redis
) -> None:
    """JOB_TIMEOUT_SECONDS=1 and a job that would compute for 30 s: failed, timed_out, no retry,
    within a few seconds, and its child is gone."""
    server = _start(servers, tmp_path, settings, JOB_TIMEOUT_SECONDS="1")
    started = time.monotonic()
    run_id = _scripted(server, "burn:30")
    child = _computing_in(server, run_id)

    ended = _ended(server, run_id, 15)

    assert ended["status"] == "failed" and ended["error_code"] == "timed_out"
    assert ended["attempts"] == 1
    assert time.monotonic() - started < 8
    assert child not in compute_children(server.process.pid)


def test_a_job_past_job_memory_limit_mb_fails_out_of_memory(
    servers: list[GunicornServer], tmp_path: Path, settings: Settings, real_redis
) -> None:
    """JOB_MEMORY_LIMIT_MB=200 and a job that grows to 2 GB: failed, out_of_memory, no retry;
    the worker that ran it is the same process afterwards."""
    server = _start(servers, tmp_path, settings, JOB_MEMORY_LIMIT_MB="200")
    workers = sorted(child_pids(server.process.pid))

    ended = _ended(server, _scripted(server, "alloc:2000"), 30)

    assert ended["status"] == "failed" and ended["error_code"] == "out_of_memory"
    assert ended["attempts"] == 1
    assert sorted(child_pids(server.process.pid)) == workers


def test_a_drain_hands_back_a_job_that_resumes_from_its_checkpoint(
    servers: list[GunicornServer], tmp_path: Path, settings: Settings, real_redis
) -> None:
    """SIGTERM with a 1 s drain while a 20-step job is part-way: the job is handed back with
    its latest checkpoint, and another instance finishes it from there, not from step 0."""
    first = _start(servers, tmp_path, settings, DRAIN_TIMEOUT_SECONDS="1")
    run_id = _scripted(first, "steps:20:0.25")
    wait_until(lambda: _status(first, run_id).get("progress", 0) >= 0.2, 20, 0.05, "no progress")

    first.terminate()
    first.wait_exit(20)
    second = _start(servers, tmp_path, settings)
    ended = _ended(second, run_id, 30)
    result = requests.get(f"{second.url}/optimize/{run_id}/result", timeout=10).json()["result"]

    assert ended["status"] == "complete"
    assert result["resumed_from"] >= 4
    assert result["ran"] == 20 - result["resumed_from"]


def _alive(pid: int) -> bool:
    state = Path(f"/proc/{pid}/stat")
    try:
        return state.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "kill-9"])
def test_no_child_outlives_the_master(
    servers: list[GunicornServer], tmp_path: Path, settings: Settings, real_redis, sig: int
) -> None:
    """Jobs computing in both workers; SIGTERM or kill -9 of the master: within 15 s no worker,
    forkserver or compute child of that instance is left running."""
    server = _start(servers, tmp_path, settings, DRAIN_TIMEOUT_SECONDS="2", JOB_WORKERS="2")
    for _ in range(4):
        _scripted(server, "burn:60")
    wait_until(lambda: len(compute_children(server.process.pid)) >= 3, 20, 0.05, "no children")
    below = descendants(server.process.pid)
    names = {process_name(pid) for pid in below}

    os.kill(server.process.pid, sig)
    left = wait_until(
        lambda: not [p for p in below if _alive(p)],
        15,
        0.1,
        lambda: f"still running: {[(p, process_name(p)) for p in below if _alive(p)]}",
    )

    assert left
    assert "webapp-compute" in names
