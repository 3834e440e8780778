"""What feeds the instruments: request hooks, the runner's job events, the queue at scrape time."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import redis
from flask import Response, g, request
from prometheus_client.core import GaugeMetricFamily, Metric

from webapp.jobs.events import JobEvents
from webapp.jobs.record import JobRecord
from webapp.jobs.store import JobStore
from webapp.observability.metrics.instruments import Instruments
from webapp.tenants.auth import current_tenant_name

# Requests that matched no route, or used a method outside this set, share one label value,
# so a scanner cannot add series.
UNMATCHED = "<unmatched>"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
SUBMIT_ENDPOINT = "optimize.submit"


class RequestMetrics:
    """before/after_request hooks: one count and one duration per request, by route."""

    def __init__(self, instruments: Instruments) -> None:
        self._instruments = instruments
        # Labelled children by (method, endpoint, status): labels() costs more than the update.
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def started(self) -> None:
        g.metrics_started = time.perf_counter()

    def finished(self, response: Response) -> Response:
        rule = request.url_rule
        method = request.method
        key = (
            method if method in METHODS else "other",
            rule.rule if rule is not None else UNMATCHED,
            response.status_code,
        )
        children = self._children.get(key) or self._labelled(key)
        children[0].inc()
        started = g.get("metrics_started")
        if started is not None:
            children[1].observe(time.perf_counter() - started)
        status = key[2]
        if (
            status == 202
            and request.endpoint == SUBMIT_ENDPOINT
            and "Idempotent-Replayed" not in response.headers
        ):
            self._instruments.jobs_submitted.inc()
            if (tenant := current_tenant_name()) is not None:
                self._instruments.tenant_jobs_submitted.labels(tenant).inc()
        return response

    def _labelled(self, key: tuple[str, str, int]) -> tuple[Any, Any]:
        method, endpoint, status = key
        children = (
            self._instruments.http_requests.labels(method, endpoint, status),
            self._instruments.http_duration.labels(method, endpoint),
        )
        return self._children.setdefault(key, children)


class JobMetrics(JobEvents):
    """The runner's attempt events as counters and a duration histogram."""

    def __init__(self, instruments: Instruments) -> None:
        self._instruments = instruments

    def finished(self, record: JobRecord, status: str, duration_s: float) -> None:
        self._instruments.jobs_finished.labels(status).inc()
        if record is not None and record.tenant:
            self._instruments.tenant_jobs_finished.labels(record.tenant, status).inc()
        self._instruments.job_duration.labels(status).observe(duration_s)
        self._instruments.job_attempts.labels(status).inc()

    def attempt_ended(self, outcome: str) -> None:
        self._instruments.job_attempts.labels(outcome).inc()

    def reclaimed(self, outcome: str, tenant: str | None = None) -> None:
        self._instruments.job_attempts.labels("lease_expired").inc()
        if outcome == "failed":  # out of attempts: the job is finished, as failed
            self._instruments.jobs_finished.labels("failed").inc()
            if tenant:
                self._instruments.tenant_jobs_finished.labels(tenant, "failed").inc()

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
