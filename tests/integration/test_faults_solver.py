"""The optimizer on a busy machine, through the service: real gunicorn (2 workers), real compute
children, the real optimize kind, and CPU burners on every core. The same request and seed give
the lineups they give on an idle machine, and a feasible request never fails (as `infeasible`
or otherwise) because the solver got less CPU: CP-SAT works to counted work, never to the clock.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import requests

from bench.slates import nfl_slate
from tests.support.fault_summary import FaultReport
from tests.support.gunicorn_server import GunicornServer
from tests.support.jobs_view import statuses
from tests.support.waiting import wait_until
from webapp.api.schemas import load_optimize_request
from webapp.config import Settings
from webapp.lineups.job import make_optimize_job

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# Spins one core until killed, or until its own deadline should the test die first.
BURN = """\
import os, sys, time
os.sched_setaffinity(0, {int(sys.argv[1])})
os.nice(int(sys.argv[2]))
end = time.monotonic() + float(sys.argv[3])
while time.monotonic() < end:
    pass
"""
BURN_LIMIT_S = 150.0  # a burner's own deadline
JOBS_DEADLINE_S = 120.0  # every job ends within this, or the test fails


class _Context:
    """What the optimize kind needs of a job context in this process: nowhere to report."""

    checkpoint = None

    def progress(self, fraction: float, phase: str = "") -> None:
        """Progress goes nowhere."""


def _bodies() -> list[dict[str, Any]]:
    """Three simulated requests on a 460-player NFL slate whose portfolio selections have to
    work (min_unique, exposure caps, a minimum exposure), each sent twice."""
    players = nfl_slate(seed=3)
    common = {"slate_id": "busy", "sport": "nfl", "players": players, "n_lineups": 20}
    asked = [
        {"n_scenarios": 400, "seed": 11, "min_unique": 3, "max_exposure": 0.5,
         "min_exposure": {"AQX-WR2": 0.5}},  # a WR in few lineups without it
        {"n_scenarios": 300, "seed": 12, "min_unique": 2, "max_exposure": 0.4,
         "selection": "percentile"},
        {"n_scenarios": 500, "seed": 13, "min_unique": 3, "selection": "best_frequency"},
    ]  # fmt: skip
    return [{**common, **options} for options in asked for _ in range(2)]


def _in_process(body: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """The job's result computed here, by the code the service runs: the request loaded as a
    submit loads it, the optimize kind built with the service's limits."""
    job_input = load_optimize_request(body).job_input()
    kind = make_optimize_job(
        None,
        time_budget_seconds=settings.optimizer_budget_s,
        threads=settings.optimizer_threads,
    )
    return kind(job_input, _Context())


def _lineups(result: dict[str, Any]) -> list[list[str]]:
    """Each lineup's player ids, in order."""
    return [[entry["id"] for entry in lineup["players"]] for lineup in result["lineups"]]


@pytest.fixture
def burn_cpu() -> Iterator[Callable[[int], None]]:
    """Call it with a nice value: one burner per core at that value, killed afterwards."""
    burners: list[subprocess.Popen] = []

    def start(nice: int) -> None:
        for core in sorted(os.sched_getaffinity(0)):
            args = [sys.executable, "-c", BURN, str(core), str(nice), str(BURN_LIMIT_S)]
            burners.append(subprocess.Popen(args, start_new_session=True))

    yield start
    for burner in burners:
        burner.kill()
        burner.wait(timeout=10)


@pytest.fixture
def servers() -> Iterator[list[GunicornServer]]:
    """The gunicorn instances a test appends here are stopped afterwards."""
    started: list[GunicornServer] = []
    yield started
    for server in started:
        server.stop()


@pytest.mark.timeout(240)
def test_a_busy_machine_changes_no_lineups_and_fails_no_job(
    servers: list[GunicornServer],
    tmp_path: Path,
    settings: Settings,
    real_redis: redis.Redis,
    burn_cpu: Callable[[int], None],
    fault_report: FaultReport,
) -> None:
    """Six simulated optimize jobs at once (four computing at a time) on a machine whose every
    core also runs a CPU burner: every job completes, with exactly the lineups and warnings of
    the same request computed alone in this process before the burners started."""
    prefix = settings.redis_key_prefix
    env = {"REDIS_URL": settings.redis_url, "REDIS_KEY_PREFIX": prefix, "JOB_WORKERS": "2"}
    service = Settings.from_env(env)
    bodies = _bodies()
    alone = [_in_process(body, service) for body in bodies[::2]]
    expected = [alone[i // 2] for i in range(len(bodies))]
    servers.append(GunicornServer(tmp_path, env, app="webapp:create_app()", workers=2))
    url = servers[0].start().url
    run_ids: list[str] = []
    fault_report.watch(real_redis, None, prefix, run_ids)

    # As busy as the compute children are niced: each burner takes a child's share of a core.
    burn_cpu(service.job_thread_nice)
    for body in bodies:
        response = requests.post(f"{url}/optimize", json=body, timeout=30)
        assert response.status_code == 202, response.text
        run_ids.append(response.json()["run_id"])
    wait_until(
        lambda: set(statuses(real_redis, prefix, run_ids)) <= {"complete", "failed"},
        JOBS_DEADLINE_S,
        0.5,
        lambda: f"jobs still running: {statuses(real_redis, prefix, run_ids)}",
    )

    ended = [requests.get(f"{url}/optimize/{r}", timeout=10).json() for r in run_ids]
    assert [(e["status"], e.get("error_code")) for e in ended] == [("complete", None)] * 6
    results = [
        requests.get(f"{url}/optimize/{r}/result", timeout=10).json()["result"] for r in run_ids
    ]
    pairs = list(enumerate(zip(results, expected, strict=True)))
    other_lineups = [i for i, (busy, idle) in pairs if _lineups(busy) != _lineups(idle)]
    other_warnings = [
        (i, busy["warnings"], idle["warnings"])
        for i, (busy, idle) in pairs
        if busy["warnings"] != idle["warnings"]
    ]
    assert other_lineups == [], f"jobs whose lineups differ from the idle run: {other_lineups}"
    assert other_warnings == [], "jobs whose warnings differ: (job, busy, idle)"
