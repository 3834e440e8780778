"""The jobs of the comparison: the same request body means the same work in every system.

A body whose slate_id is "noop" is a no-op job; any other runs `webapp.optimizer.optimize` on
its players with its sport, n_lineups, n_scenarios and seed. The optimizer is imported with
this module, so job workers that import it first (Celery's, `rq worker -c bench.work`) do not
import it again in every job.
"""

from __future__ import annotations

import os
import time
from typing import Any

from flask import Flask

from bench.slates import nfl_slate
from webapp.optimizer import OptimizeOptions, optimize

NOOP = "noop"
OPTION_KEYS = ("sport", "n_lineups", "n_scenarios", "seed")


def run_job(body: dict[str, Any]) -> dict[str, Any]:
    """What a Celery task or an RQ job runs."""
    if body.get("slate_id") == NOOP:
        return {"lineups": []}
    options = OptimizeOptions(**{key: body[key] for key in OPTION_KEYS if key in body})
    return optimize(body["players"], options)


def noop_body() -> dict[str, Any]:
    """A no-op job the service accepts (two valid players)."""
    players = [
        {"id": f"p{i}", "name": f"Player {i}", "positions": ["QB"], "salary": 5000,
         "team": "AAA", "opponent": "BBB", "projection": 10.0 + i}
        for i in range(2)
    ]  # fmt: skip
    return {"slate_id": NOOP, "n_scenarios": 0, "players": players}


def optimize_body(seed: int = 1) -> dict[str, Any]:
    """20 exact lineups (no simulation) on a seeded 2-game NFL slate of 76 players."""
    players = nfl_slate(seed=seed, games=2)
    return {"slate_id": f"nfl-{seed}", "sport": "nfl", "n_lineups": 20, "n_scenarios": 0,
            "seed": seed, "players": players}  # fmt: skip


def create_service_app() -> Flask:
    """The service as deployed (settings from the environment, its own optimize job), except
    that a job whose slate_id is "noop" returns at once and "sleep:<seconds>" sleeps."""
    from webapp import create_app
    from webapp.api.job import make_optimize_job
    from webapp.config import Settings
    from webapp.jobs.kinds import JobKinds

    optimize_job = make_optimize_job(None)

    def job(job_input: dict[str, Any], context: Any) -> Any:
        slate_id = job_input.get("slate_id", "")
        if slate_id == NOOP:
            return {"lineups": []}
        if slate_id.startswith("sleep:"):  # stands in for a long job: drain and recovery runs
            deadline = time.monotonic() + float(slate_id.split(":", 1)[1])
            while time.monotonic() < deadline:
                time.sleep(0.05)
                context.raise_if_cancelled()
            return {"lineups": []}
        return optimize_job(job_input, context)

    kinds = JobKinds()
    kinds.register("optimize", job)
    return create_app(Settings.from_env(os.environ), kinds=kinds)
