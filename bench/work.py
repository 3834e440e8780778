"""The jobs and apps of the comparison: this service, Flask + Celery, Flask + RQ (the last two
with Redis as broker and result store, BENCH_REDIS_URL; `pip install celery rq`).

The same body means the same work everywhere: slate_id "noop" is a no-op, any other runs
`webapp.optimizer.optimize`, imported with this module so that job workers importing it first
(Celery's, `rq worker -c bench.work`) do not import it in every job.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, jsonify, request

from bench.slates import nfl_slate
from webapp.optimizer import OptimizeOptions, optimize

NOOP = "noop"
OPTION_KEYS = ("sport", "n_lineups", "n_scenarios", "seed")
CELERY_STATES = {"STARTED": "running", "SUCCESS": "complete", "FAILURE": "failed"}  # else pending
RQ_STATES = {"started": "running", "finished": "complete", "failed": "failed", "stopped": "failed"}


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
    """The service as deployed (settings from the environment, its own optimize job computing
    in child processes), except that a job whose slate_id is "noop" returns at once, on the
    job thread, and "sleep:<seconds>" sleeps in its compute process."""
    from webapp import create_app
    from webapp.compute.kind import Done, ProcessKind
    from webapp.config import Settings
    from webapp.jobs.kinds import JobKinds
    from webapp.lineups.job import make_optimize_job

    optimize_job = make_optimize_job(None)

    def prepare(job_input: dict[str, Any]) -> Any:
        slate_id = job_input.get("slate_id", "")
        if slate_id == NOOP:
            return Done({"lineups": []})
        if slate_id.startswith("sleep:"):  # stands in for a long job: drain and recovery runs
            return {"sleep_s": float(slate_id.split(":", 1)[1])}
        return optimize_job.prepare(job_input)

    kinds = JobKinds()
    kinds.register("optimize", ProcessKind(prepare=prepare, compute=compute_service_job))
    return create_app(Settings.from_env(os.environ), kinds=kinds)


def compute_service_job(payload: dict[str, Any], context: Any) -> Any:
    """The compute part of the service's benchmark job (runs in a compute process)."""
    from webapp.lineups.job import compute_optimize

    if "sleep_s" in payload:
        time.sleep(payload["sleep_s"])
        return {"lineups": []}
    return compute_optimize(payload, context)


def make_celery(redis_url: str) -> Any:
    """A Celery app with Redis as broker and result backend and the one task."""
    from celery import Celery

    app = Celery("bench", broker=redis_url, backend=redis_url)
    app.task(name="bench.run_job")(run_job)
    return app


def __getattr__(name: str) -> Any:
    """`celery_app` for `celery -A bench.work:celery_app worker`, built when asked for."""
    if name == "celery_app":
        return make_celery(os.environ["BENCH_REDIS_URL"])
    raise AttributeError(name)


def job_api(submit: Callable[[dict], str], status: Callable[[str], str], result: Callable) -> Flask:
    """The HTTP API over three functions: submit(body) -> id, status(id), result(id)."""
    app = Flask(__name__)

    @app.post("/optimize")
    def post_job():
        return jsonify({"run_id": submit(request.get_json()), "status": "pending"}), 202

    @app.get("/optimize/<run_id>")
    def get_status(run_id: str):
        return jsonify({"run_id": run_id, "status": status(run_id)})

    @app.get("/optimize/<run_id>/result")
    def get_result(run_id: str):
        if status(run_id) != "complete":
            return jsonify({"error": {"code": "not_complete"}}), 409
        return jsonify({"run_id": run_id, "status": "complete", "result": result(run_id)})

    @app.get("/health")
    def health():
        return jsonify({"status": "pass"})

    return app


def create_celery_flask() -> Flask:
    """Flask + Celery."""
    celery = make_celery(os.environ["BENCH_REDIS_URL"])
    task = celery.tasks["bench.run_job"]
    return job_api(
        lambda body: task.delay(body).id,
        lambda run_id: CELERY_STATES.get(celery.AsyncResult(run_id).state, "pending"),
        lambda run_id: celery.AsyncResult(run_id).result,
    )


def create_rq_flask() -> Flask:
    """Flask + RQ."""
    import redis
    from rq import Queue
    from rq.job import Job

    connection = redis.Redis.from_url(os.environ["BENCH_REDIS_URL"])
    queue = Queue(connection=connection)

    def status(run_id: str) -> str:
        job = Job.fetch(run_id, connection=connection)
        return RQ_STATES.get(job.get_status(refresh=False), "pending")  # a str enum

    return job_api(
        lambda body: queue.enqueue(run_job, body).id,
        status,
        lambda run_id: Job.fetch(run_id, connection=connection).return_value(),
    )
