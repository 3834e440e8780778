"""Metrics as a Flask extension: instruments, hooks, the runner's observer and GET /metrics."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client import multiprocess as prometheus_multiprocess

from webapp.jobs.extension import get_jobs
from webapp.observability.metrics.hooks import METRICS
from webapp.observability.metrics.instruments import Instruments
from webapp.observability.metrics.multiproc import is_multiprocess
from webapp.observability.metrics.observers import JobMetrics, QueueCollector, RequestMetrics


@dataclass
class Metrics:
    """The app's instruments and the registry a scrape renders."""

    instruments: Instruments
    scrape_registry: CollectorRegistry

    @property
    def job_events(self) -> JobMetrics:
        """What the job runner tells, counted (passed to the runner when it is built)."""
        return JobMetrics(self.instruments)

    def render(self) -> Response:
        """The Prometheus text exposition of every worker's values and the queue."""
        return Response(generate_latest(self.scrape_registry), mimetype=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> Metrics:
    """Count requests, and serve GET /metrics; the job runner, built after, takes
    `job_events` (the queue figures are read from the app's job store at scrape time)."""
    scrape_registry = CollectorRegistry()
    if is_multiprocess():
        instruments = Instruments(registry=None)
        prometheus_multiprocess.MultiProcessCollector(scrape_registry)
    else:  # one process (tests, `flask run`): the app's own registry is the whole truth
        instruments = Instruments(registry=scrape_registry)
    queue = QueueCollector(lambda: get_jobs(app).store(), instruments.redis_errors.inc)
    scrape_registry.register(queue)
    metrics = Metrics(instruments=instruments, scrape_registry=scrape_registry)
    METRICS.register(app, metrics)
    hooks = RequestMetrics(instruments)
    app.before_request(hooks.started)
    app.after_request(hooks.finished)
    app.add_url_rule("/metrics", "metrics", metrics.render, methods=["GET"])
    return metrics
