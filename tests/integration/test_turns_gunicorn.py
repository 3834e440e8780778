"""Fair turns through real gunicorn and Redis: a tenant's backlog does not hold up another
tenant's job, and a tenant runs at most its key's --max-running jobs at once."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

import pytest
import redis
import requests

from tests.conftest import valid_players
from tests.support.gunicorn_server import ROOT, GunicornServer
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _create_key(env: dict[str, str], name: str, *options: str) -> dict[str, str]:
    """`keys create NAME [options]`: the Authorization header for the key it prints last."""
    flask = os.path.join(os.path.dirname(sys.executable), "flask")
    made = subprocess.run(
        [flask, "--app", "webapp", "keys", "create", name, *options],
        env={**os.environ, **env, "LOG_FILE": ""},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return {"Authorization": f"Bearer {made.stdout.strip().splitlines()[-1]}"}


def _post(url: str, auth: dict[str, str], script: str) -> str:
    body = {"slate_id": script, "players": valid_players(), "n_scenarios": 0}
    response = requests.post(f"{url}/optimize", json=body, headers=auth, timeout=10)
    assert response.status_code == 202, response.text
    return response.json()["run_id"]


def _status(url: str, auth: dict[str, str], run_id: str) -> dict[str, object]:
    response = requests.get(f"{url}/optimize/{run_id}", headers=auth, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def _finished(url: str, auth: dict[str, str], run_id: str) -> bool:
    return _status(url, auth, run_id)["status"] == "complete"


@pytest.fixture
def keyed_env(service_env: dict[str, str]) -> dict[str, str]:
    """The service's environment with AUTH_MODE=api_key."""
    return {**service_env, "AUTH_MODE": "api_key"}


def test_one_job_of_a_second_tenant_overtakes_a_backlog(
    start_gunicorn: Callable[..., GunicornServer],
    keyed_env: dict[str, str],
    real_redis: redis.Redis,
) -> None:
    """With one job slot, tenant A's 12 queued jobs and then tenant B's one: B's job
    finishes before A's 6th."""
    alice, bob = _create_key(keyed_env, "alice"), _create_key(keyed_env, "bob")
    server = start_gunicorn({**keyed_env, "JOB_WORKERS": "1"})

    a_jobs = [_post(server.url, alice, "sleep:0.4") for _ in range(12)]
    b_job = _post(server.url, bob, "sleep:0.4")
    wait_until(lambda: _finished(server.url, alice, a_jobs[5]), 30)

    b_done = _status(server.url, bob, b_job)
    a_sixth = _status(server.url, alice, a_jobs[5])
    assert b_done["status"] == "complete"
    assert b_done["finished_at"] < a_sixth["finished_at"]


def test_a_tenant_runs_at_most_its_max_running(
    start_gunicorn: Callable[..., GunicornServer],
    keyed_env: dict[str, str],
    real_redis: redis.Redis,
) -> None:
    """With two job slots, tenant A (--max-running 1) runs one job at a time while tenant B's
    job takes the other slot; A's second job starts only once its first has finished."""
    alice = _create_key(keyed_env, "alice", "--max-running", "1")
    bob = _create_key(keyed_env, "bob")
    server = start_gunicorn({**keyed_env, "JOB_WORKERS": "2"})

    a_first, a_second = (_post(server.url, alice, "sleep:1.5") for _ in range(2))
    b_job = _post(server.url, bob, "sleep:0.5")
    wait_until(lambda: _finished(server.url, alice, a_second), 30)

    first, second = _status(server.url, alice, a_first), _status(server.url, alice, a_second)
    b_done = _status(server.url, bob, b_job)
    assert second["started_at"] >= first["finished_at"]
    assert b_done["started_at"] < first["finished_at"]
