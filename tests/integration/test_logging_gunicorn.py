"""Logs of the service under real gunicorn: every line JSON, ids followed from request into job."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.conftest import valid_players
from tests.support.gunicorn_server import GunicornServer
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


def test_every_stdout_line_is_json_and_ids_follow_the_job(
    start_gunicorn: Callable[..., GunicornServer], service_env: dict, tmp_path: Path
) -> None:
    """Boot, requests, a job in an executor thread and shutdown: all JSON; job lines carry ids;
    the lines a worker writes as it exits reach stdout and the file."""
    log_file = tmp_path / "service.log"
    server = start_gunicorn({**service_env, "LOG_FILE": str(log_file)}, workers=2)
    response = requests.post(
        f"{server.url}/optimize",
        json={"slate_id": "progress", "players": valid_players()},
        headers={"X-Correlation-ID": "trace-me-1"},
        timeout=10,
    )
    run_id = response.json()["run_id"]
    server.wait_for_log("job_completed")
    server.stop()

    lines = server.log_lines()  # raises on any line that is not JSON
    assert response.headers["X-Correlation-ID"] == "trace-me-1"
    job_lines = [line for line in lines if line.get("job_id") == run_id]
    assert {line["event"] for line in job_lines} >= {"job_started", "job_completed"}
    assert {line["request_id"] for line in job_lines} == {"trace-me-1"}
    access = [line for line in lines if line.get("event") == "request_finished"]
    assert access[0]["request_id"] == "trace-me-1" and access[0]["status"] == 202
    assert all({"timestamp", "level", "event", "logger"} <= line.keys() for line in lines)
    assert any(line["logger"] == "gunicorn.error" for line in lines)
    file_events = [json.loads(line)["event"] for line in log_file.read_text().splitlines()]
    assert "job_completed" in file_events and file_events.count("request_finished") == 1
    assert [line["event"] for line in lines].count("drain_finished") == 2  # one per worker
    assert file_events.count("drain_finished") == 2


def test_concurrent_requests_never_share_ids(
    start_gunicorn: Callable[..., GunicornServer], service_env: dict
) -> None:
    """50 concurrent requests with distinct ids: each access line carries its own request's id."""
    server = start_gunicorn({**service_env, "GUNICORN_THREADS": "8"}, workers=2)
    unknown = [f"01ARZ3NDEKTSV4RRFFQ69G{i:04d}" for i in range(50)]

    def get(i: int) -> str:
        response = requests.get(
            f"{server.url}/optimize/{unknown[i]}",
            headers={"X-Correlation-ID": f"corr-{i}"},
            timeout=10,
        )
        return response.headers["X-Correlation-ID"]

    with ThreadPoolExecutor(16) as pool:
        echoed = list(pool.map(get, range(50)))
    wait_until(
        lambda: len([l for l in server.log_lines() if l.get("event") == "request_finished"]) >= 50,  # noqa: E741
        10,
    )

    assert echoed == [f"corr-{i}" for i in range(50)]
    access = [line for line in server.log_lines() if line.get("event") == "request_finished"]
    by_path = {line["path"]: line["request_id"] for line in access}
    assert by_path == {f"/optimize/{unknown[i]}": f"corr-{i}" for i in range(50)}


MALFORMED = ["x" * 65, "bad\tvalue", "ünïcode", "a b"]


def test_malformed_ids_are_replaced_under_gunicorn(
    start_gunicorn: Callable[..., GunicornServer], service_env: dict
) -> None:
    """Malformed X-Correlation-IDs (too long, control char, unicode, space) become ULIDs."""
    server = start_gunicorn(service_env)

    minted = []
    for header in MALFORMED:
        response = requests.get(
            f"{server.url}/optimize/01ARZ3NDEKTSV4RRFFQ69G5FAV",
            headers={"X-Correlation-ID": header.encode("utf-8")},
            timeout=10,
        )
        minted.append(response.headers["X-Correlation-ID"])
    access = server.wait_for_log("request_finished", count=len(MALFORMED))

    assert all(len(new) == 26 and new not in MALFORMED for new in minted)
    assert [line["request_id"] for line in access] == minted
