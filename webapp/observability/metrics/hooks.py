"""Calls other modules make into the metrics, without importing prometheus-client.

prometheus-client chooses its storage when first imported, so modules that gunicorn's master
imports (the error handlers, through the `webapp` package) must not import it before the
on_starting hook has set PROMETHEUS_MULTIPROC_DIR.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask

from webapp.extensions import Key

if TYPE_CHECKING:
    from webapp.observability.metrics.extension import Metrics

METRICS: Key[Metrics] = Key(
    "webapp.observability.metrics", "webapp.observability.metrics.extension.init_app"
)


def record_redis_error(app: Flask) -> None:
    """Count a failed Redis call (no-op when metrics are off)."""
    metrics = METRICS.find(app)
    if metrics is not None:
        metrics.instruments.redis_errors.inc()


def record_submit_limited(app: Flask, tenant: str, limit: str) -> None:
    """Count a submit refused by a tenant's limit (no-op when metrics are off)."""
    metrics = METRICS.find(app)
    if metrics is not None:
        metrics.instruments.submits_limited.labels(tenant, limit).inc()


def record_job_cancelled(app: Flask, tenant: str | None = None) -> None:
    """Count a job a client's DELETE ended, as finished with status `cancelled`, also under
    its tenant when it has one (no-op when metrics are off). The runner never writes its
    outcome, so it cannot count it."""
    metrics = METRICS.find(app)
    if metrics is not None:
        metrics.instruments.jobs_finished.labels("cancelled").inc()
        if tenant:
            metrics.instruments.tenant_jobs_finished.labels(tenant, "cancelled").inc()
