"""What feeds the instruments: request hooks, the runner's job events, the queue at scrape time."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import redis
from flask import Response, g, request
from prometheus_client.core import GaugeMetricFamily, Metric

from webapp.jobs.events import JobEvents
from webapp.jobs.record import JobRecord
from webapp.jobs.store import JobStore
from webapp.metrics.instruments import Instruments

# Requests that matched no route share one label value, so scanners cannot add series.
UNMATCHED = "<unmatched>"
SUBMIT_ENDPOINT = "optimize.submit"


class RequestMetrics:
    """before/after_request hooks: one count and one duration per request, by route."""

    def __init__(self, instruments: Instruments) -> None:
        self._instruments = instruments

    def started(self) -> None:
        g.metrics_started = time.perf_counter()

    def finished(self, response: Response) -> Response:
        rule = request.url_rule
        endpoint = rule.rule if rule is not None else UNMATCHED
        status = response.status_code
        started = g.get("metrics_started")
        self._instruments.http_requests.labels(request.method, endpoint, status).inc()
        if started is not None:
            self._instruments.http_duration.labels(request.method, endpoint).observe(
                time.perf_counter() - started
            )
        if (
            status == 202
            and request.endpoint == SUBMIT_ENDPOINT
            and "Idempotent-Replayed" not in response.headers
        ):
            self._instruments.jobs_submitted.inc()
        return response


class JobMetrics(JobEvents):
    """The runner's attempt events as counters and a duration histogram."""

    def __init__(self, instruments: Instruments) -> None:
        self._instruments = instruments

    def finished(self, record: JobRecord, status: str, duration_s: float) -> None:
        self._instruments.jobs_finished.labels(status).inc()
        self._instruments.job_duration.labels(status).observe(duration_s)
        self._instruments.job_attempts.labels(status).inc()

    def attempt_ended(self, outcome: str) -> None:
        self._instruments.job_attempts.labels(outcome).inc()

    def reclaimed(self, outcome: str) -> None:
        self._instruments.job_attempts.labels("lease_expired").inc()
        if outcome == "failed":  # out of attempts: the job is finished, as failed
            self._instruments.jobs_finished.labels("failed").inc()

    def redis_error(self) -> None:
        self._instruments.redis_errors.inc()


class QueueCollector:
    """Global queue figures read from Redis when Prometheus scrapes (one pipelined round trip)."""

    def __init__(self, store: Callable[[], JobStore], on_error: Callable[[], None]) -> None:
        self._store = store
        self._on_error = on_error

    def collect(self) -> Iterator[Metric]:
        try:
            stats = self._store().queue_stats()
        except redis.RedisError:
            self._on_error()
            return
        yield GaugeMetricFamily("webapp_queue_depth", "Jobs waiting in the queue.", stats.pending)
        yield GaugeMetricFamily("webapp_jobs_running", "Jobs running now.", stats.running)
        yield GaugeMetricFamily(
            "webapp_oldest_pending_age_seconds",
            "Age of the oldest pending job (0 when none waits).",
            stats.oldest_pending_age_s or 0.0,
        )
