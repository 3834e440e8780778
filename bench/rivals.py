"""The same job API as Flask + Celery and as Flask + RQ, the way a Flask team would first build
it, with Redis as broker and result store (BENCH_REDIS_URL). Needs `pip install celery rq`.
  gunicorn 'bench.rivals:create_celery_flask()' + celery -A bench.rivals:celery_app worker
  gunicorn 'bench.rivals:create_rq_flask()' + rq worker -c bench.work --url $BENCH_REDIS_URL
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from flask import Flask, jsonify, request

from bench.work import run_job

CELERY_STATES = {"STARTED": "running", "SUCCESS": "complete", "FAILURE": "failed"}  # else pending
RQ_STATES = {"started": "running", "finished": "complete", "failed": "failed", "stopped": "failed"}


def make_celery(redis_url: str) -> Any:
    """A Celery app with Redis as broker and result backend and the one task."""
    from celery import Celery

    app = Celery("bench", broker=redis_url, backend=redis_url)
    app.task(name="bench.run_job")(run_job)
    return app


def __getattr__(name: str) -> Any:
    """`celery_app` for `celery -A bench.rivals:celery_app worker`, built when asked for."""
    if name == "celery_app":
        return make_celery(os.environ["BENCH_REDIS_URL"])
    raise AttributeError(name)


def job_api(
    submit: Callable[[dict], str], status: Callable[[str], str], result: Callable[[str], Any]
) -> Flask:
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
