"""Read jobs from outside the service: submit over HTTP, statuses from Redis, test counters."""

from __future__ import annotations

from pathlib import Path

import redis
import requests
from flask import Flask

from tests.conftest import valid_players
from webapp.jobs.keys import Keys


def submit_in_process(app: Flask, slate_id: str) -> str:
    """Submit a scripted job through the app's test client; its run id."""
    body = {"slate_id": slate_id, "players": valid_players(), "n_scenarios": 0}
    response = app.test_client().post("/optimize", json=body)
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()["run_id"]


def post_job(base_url: str, slate_id: str) -> str:
    """POST /optimize for a scripted job; fails unless the service accepted it (202)."""
    body = {"slate_id": slate_id, "players": valid_players(), "n_scenarios": 0}
    response = requests.post(f"{base_url}/optimize", json=body, timeout=10)
    assert response.status_code == 202, response.text
    return response.json()["run_id"]


def statuses(client: redis.Redis, prefix: str, run_ids: list[str]) -> list[str]:
    """Each job's status as stored ('' when the record is gone)."""
    keys = Keys(prefix)
    with client.pipeline(transaction=False) as pipe:
        for run_id in run_ids:
            pipe.hget(keys.job(run_id), "status")
        return [(s or b"").decode() for s in pipe.execute()]


def counts(client: redis.Redis, prefix: str, what: str, run_ids: list[str]) -> list[int]:
    """How often each job's function started ('starts') or returned ('finishes')."""
    values = client.mget([f"{prefix}:test:{what}:{r}" for r in run_ids])
    return [int(v or 0) for v in values]


def child_pids(pid: int) -> list[int]:
    """The direct children of a process (Linux /proc), e.g. a gunicorn master's workers."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = (task / "children").read_text().split()
        found.extend(int(child) for child in children)
    return found
