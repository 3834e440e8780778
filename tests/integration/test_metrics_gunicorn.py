"""GET /metrics under real gunicorn with two workers: every scrape sums both of them."""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Callable

import pytest
import redis
import requests

from tests.conftest import valid_players
from tests.support.gunicorn_server import GunicornServer
from tests.support.waiting import wait_until
from webapp.jobs.keys import Keys

pytestmark = pytest.mark.integration

JOBS = 8
SCRAPES = 20


def _value(text: str, sample: str) -> float:
    match = re.search(rf"^{re.escape(sample)} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def _scrape(url: str) -> str:
    # A new connection each time, so the scrapes land on whichever worker accepts first.
    response = requests.get(f"{url}/metrics", headers={"Connection": "close"}, timeout=10)
    assert response.status_code == 200
    return response.text


def _finished(url: str) -> float:
    return _value(_scrape(url), 'webapp_jobs_finished_total{status="complete"}')


def _run_jobs(server: GunicornServer, client: redis.Redis, keys: Keys) -> set[int]:
    """Run JOBS jobs to completion; return the pids of the workers seen running them (the owner
    field is cleared when a job finishes, so it is sampled while they run)."""
    run_ids, owners = [], set()
    for _ in range(JOBS):
        body = {"slate_id": "sleep:0.3", "players": valid_players()}
        response = requests.post(f"{server.url}/optimize", json=body, timeout=10)
        assert response.status_code == 202
        run_ids.append(response.json()["run_id"])

    def all_complete() -> bool:
        owners.update(o.decode() for r in run_ids if (o := client.hget(keys.job(r), "owner")))
        return all(
            requests.get(f"{server.url}/optimize/{r}", timeout=10).json()["status"] == "complete"
            for r in run_ids
        )

    wait_until(all_complete, 30, interval_s=0.05)
    return {int(owner.rsplit(":", 1)[1]) for owner in owners}


def test_every_scrape_reports_every_workers_jobs(
    start_gunicorn: Callable[..., GunicornServer],
    service_env: dict,
    real_redis: redis.Redis,
    settings,
) -> None:
    """After N jobs spread over two workers, each of many scrapes reports N finished; a worker
    killed and replaced does not take its counts with it."""
    server = start_gunicorn(service_env, workers=2)
    pids = _run_jobs(server, real_redis, Keys(settings.redis_key_prefix))
    assert len(pids) == 2, "the jobs should have run on both workers"

    wait_until(lambda: _finished(server.url) == JOBS, 5)
    texts = [_scrape(server.url) for _ in range(SCRAPES)]

    complete = 'webapp_jobs_finished_total{status="complete"}'
    assert [_value(t, complete) for t in texts] == [JOBS] * SCRAPES
    assert {_value(t, "webapp_jobs_submitted_total") for t in texts} == {JOBS}
    assert {_value(t, 'webapp_job_attempts_total{outcome="complete"}') for t in texts} == {JOBS}
    assert {_value(t, "webapp_queue_depth") for t in texts} == {0}
    submits = 'webapp_http_requests_total{endpoint="/optimize",method="POST",status="202"}'
    assert {_value(t, submits) for t in texts} == {JOBS}

    os.kill(pids.pop(), signal.SIGKILL)
    server.wait_for_log("job_runner_started", count=3, timeout_s=20)
    assert [_finished(server.url) for _ in range(5)] == [JOBS] * 5


def test_metrics_directory_is_per_instance_and_removed_at_exit(
    start_gunicorn: Callable[..., GunicornServer], service_env: dict
) -> None:
    """Without PROMETHEUS_MULTIPROC_DIR the master makes a fresh directory and removes it."""
    server = start_gunicorn(service_env, workers=2)
    line = next(
        entry["event"]
        for entry in server.log_lines()
        if str(entry.get("event", "")).startswith("metrics directory ")
    )
    directory = line.removeprefix("metrics directory ")
    assert os.path.isdir(directory) and any(name.endswith(".db") for name in os.listdir(directory))

    server.terminate()
    server.wait_exit(30)
    assert not os.path.exists(directory)
