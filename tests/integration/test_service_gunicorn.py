"""The service under real gunicorn with a real Redis: the job API end to end."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
import requests

from tests.conftest import valid_players
from tests.support.gunicorn_server import GunicornServer
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


def _post(base: str, slate_id: str, session: requests.Session | None = None, **extra) -> str:
    body = {"slate_id": slate_id, "players": valid_players(), "n_scenarios": 0, **extra}
    response = (session or requests).post(f"{base}/optimize", json=body, timeout=10)
    assert response.status_code == 202, response.text
    return response.json()["run_id"]


def _status(base: str, run_id: str) -> dict:
    return requests.get(f"{base}/optimize/{run_id}", timeout=10).json()


def test_submit_poll_result(
    start_gunicorn: Callable[..., GunicornServer], service_env: dict
) -> None:
    """A client submits, polls the status until complete, then reads the result."""
    server = start_gunicorn(service_env)

    run_id = _post(server.url, "progress")
    wait_until(lambda: _status(server.url, run_id)["status"] == "complete", 10)
    result = requests.get(f"{server.url}/optimize/{run_id}/result", timeout=10)

    assert result.status_code == 200
    assert result.json()["result"]["script"] == "progress"
    document = _status(server.url, run_id)
    assert document["attempts"] == 1 and document["progress"] == 1.0
    assert document["started_at"] and document["finished_at"]


def test_200_jobs_from_8_threads_each_run_exactly_once(
    start_gunicorn: Callable[..., GunicornServer],
    service_env: dict,
    real_redis: redis.Redis,
    settings,
) -> None:
    """200 jobs submitted concurrently to 2 workers all complete; each started and finished once."""
    server = start_gunicorn({**service_env, "JOB_WORKERS": "4"}, workers=2)

    def submit_batch(_: int) -> list[str]:
        with requests.Session() as session:
            return [_post(server.url, "noop", session) for _ in range(25)]

    with ThreadPoolExecutor(8) as pool:
        run_ids = [run_id for batch in pool.map(submit_batch, range(8)) for run_id in batch]

    prefix = settings.redis_key_prefix
    assert len(set(run_ids)) == 200

    def all_complete() -> bool:
        with real_redis.pipeline() as pipe:
            for run_id in run_ids:
                pipe.hget(f"{prefix}:job:{run_id}", "status")
            return all(status == b"complete" for status in pipe.execute())

    wait_until(all_complete, 60, interval_s=0.2)
    starts = real_redis.mget([f"{prefix}:test:starts:{r}" for r in run_ids])
    finishes = real_redis.mget([f"{prefix}:test:finishes:{r}" for r in run_ids])
    assert set(starts) == {b"1"} and set(finishes) == {b"1"}
    owners = {
        line["owner"] for line in server.log_lines() if line.get("event") == "job_runner_started"
    }
    ran_in = {line["job_id"] for line in server.wait_for_log("job_completed", count=200)}
    assert len(owners) == 2 and len(ran_in) == 200


def test_two_instances_share_the_queue(
    start_gunicorn: Callable[..., GunicornServer], service_env: dict
) -> None:
    """Two gunicorn instances on one Redis both run jobs submitted to only one of them."""
    first = start_gunicorn({**service_env, "JOB_WORKERS": "1"})
    second = start_gunicorn({**service_env, "JOB_WORKERS": "1"})

    run_ids = [_post(first.url, "sleep:0.3") for _ in range(6)]
    wait_until(lambda: all(_status(second.url, r)["status"] == "complete" for r in run_ids), 30)

    def completed(server: GunicornServer) -> set[str]:
        return {l["job_id"] for l in server.log_lines() if l.get("event") == "job_completed"}  # noqa: E741

    wait_until(lambda: len(completed(first)) + len(completed(second)) >= 6, 10)
    ran_on_first, ran_on_second = completed(first), completed(second)
    assert ran_on_first and ran_on_second
    assert ran_on_first | ran_on_second == set(run_ids)
    assert not ran_on_first & ran_on_second


def test_expired_job_reads_as_410(
    start_gunicorn: Callable[..., GunicornServer], service_env: dict
) -> None:
    """With a short TTL a finished job turns 410 once its record is gone; unknown ids stay 404."""
    server = start_gunicorn({**service_env, "JOB_TTL_SECONDS": "1", "TOMBSTONE_TTL_SECONDS": "60"})
    run_id = _post(server.url, "noop")
    wait_until(
        lambda: requests.get(f"{server.url}/optimize/{run_id}", timeout=5).status_code == 410, 10
    )

    result = requests.get(f"{server.url}/optimize/{run_id}/result", timeout=5)
    unknown = requests.get(f"{server.url}/optimize/01ARZ3NDEKTSV4RRFFQ69G5FAV", timeout=5)

    assert result.status_code == 410 and result.json()["error"]["code"] == "expired"
    assert unknown.status_code == 404


def test_submit_to_running_is_fast(
    start_gunicorn: Callable[..., GunicornServer], service_env: dict
) -> None:
    """An idle worker starts a queued job well within its idle poll: it is woken, not polling."""
    server = start_gunicorn(service_env)
    time.sleep(1.2)  # let the dispatcher settle into its blocking wait

    run_id = _post(server.url, "sleep:1")
    document = wait_until(
        lambda: (d := _status(server.url, run_id))["status"] == "running" and d, 5
    )

    from webapp.clock import from_iso

    waited = from_iso(document["started_at"]) - from_iso(document["created_at"])
    assert waited.total_seconds() < 0.5


def test_real_optimizer_job_end_to_end(
    start_gunicorn: Callable[..., GunicornServer], service_env: dict, tmp_path
) -> None:
    """The production app (webapp:create_app) solves a small NFL slate into valid lineups."""
    from bench.slates import nfl_slate
    from tests.unit.optimizer.validator import lineup_problems

    server = GunicornServer(tmp_path, service_env, app="webapp:create_app()", name="real")
    server.start()
    try:
        players = nfl_slate(seed=3, games=3)
        body = {
            "slate_id": "real",
            "players": players,
            "n_lineups": 3,
            "n_scenarios": 500,
            "seed": 1,
        }
        run_id = requests.post(f"{server.url}/optimize", json=body, timeout=10).json()["run_id"]
        wait_until(lambda: _status(server.url, run_id)["status"] in {"complete", "failed"}, 60)
        result = requests.get(f"{server.url}/optimize/{run_id}/result", timeout=10).json()["result"]
    finally:
        server.stop()

    by_id = {p["id"]: p for p in players}
    assert len(result["lineups"]) == 3
    for lineup in result["lineups"]:
        assert lineup_problems(lineup, by_id, "nfl") == []
        assert {"mean", "stdev", "p50", "p90", "p99", "best_frequency"} <= lineup.keys()


def _thread_nice_values(pid: int) -> dict[int, int]:
    """Thread id -> nice value of every thread of a process (Linux /proc)."""
    values = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        stat = (task / "stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        values[int(task.name)] = int(fields[16])  # field 19 of stat(5), counted after the name
    return values


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux-only")
def test_job_threads_run_at_a_lower_cpu_priority(
    start_gunicorn: Callable[..., GunicornServer], service_env: dict
) -> None:
    """With JOB_THREAD_NICE=7 the two executor threads are 7 nicer; request threads are not."""
    server = start_gunicorn({**service_env, "JOB_WORKERS": "2", "JOB_THREAD_NICE": "7"})
    (started,) = server.wait_for_log("job_runner_started")
    worker_pid = int(started["owner"].rsplit(":", 1)[1])

    run_ids = [_post(server.url, "sleep:3") for _ in range(2)]
    wait_until(lambda: all(_status(server.url, r)["status"] == "running" for r in run_ids), 10)
    for _ in range(20):  # several requests so the gthread pool has threads of its own
        requests.get(f"{server.url}/optimize/{run_ids[0]}", timeout=10)
    nice = _thread_nice_values(worker_pid)

    base = nice[worker_pid]  # the worker's main thread
    lowered = [tid for tid, value in nice.items() if value == min(19, base + 7)]
    assert len(lowered) == 2, nice
    assert all(value == base for tid, value in nice.items() if tid not in lowered), nice
    assert len(nice) > 4  # main, dispatcher, maintenance and request threads were looked at


@pytest.mark.parametrize("gc_freeze", ["true", "false"])
def test_startup_objects_are_frozen_out_of_gc(
    start_gunicorn: Callable[..., GunicornServer], service_env: dict, gc_freeze: str
) -> None:
    """Each worker freezes its startup heap (tens of thousands of objects) unless turned off."""
    server = start_gunicorn({**service_env, "GC_FREEZE": gc_freeze}, workers=2)

    frozen = [line for line in server.log_lines() if line.get("event") == "gc_frozen"]
    if gc_freeze == "true":
        assert len(frozen) == 2
        assert all(line["objects"] > 20_000 for line in frozen), frozen
    else:
        assert frozen == []
