"""The service's metrics: names, labels and buckets in one place."""

from __future__ import annotations

from functools import partial

from prometheus_client import CollectorRegistry, Counter, Histogram

# Jobs run from well under a second (plain projections) to many minutes (150 lineups from
# 100,000 scenarios).
JOB_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)


class Instruments:
    """Counters and histograms of one app; `registry` is None in multiprocess mode (the values
    live in the shared directory and a scrape reads them from there)."""

    def __init__(self, registry: CollectorRegistry | None) -> None:
        counter = partial(Counter, registry=registry)
        histogram = partial(Histogram, registry=registry)
        self.http_requests = counter(
            "webapp_http_requests",
            "HTTP requests by method, route and status.",
            ["method", "endpoint", "status"],
        )
        self.http_duration = histogram(
            "webapp_http_request_duration_seconds",
            "Time from the request reaching the app to its response, by method and route.",
            ["method", "endpoint"],
        )
        self.jobs_submitted = counter(
            "webapp_jobs_submitted", "Jobs accepted (202, replays excluded)."
        )
        self.jobs_finished = counter(
            "webapp_jobs_finished",
            "Jobs that ended: complete, failed, or cancelled (by a DELETE).",
            ["status"],
        )
        self.job_duration = histogram(
            "webapp_job_duration_seconds",
            "Run time of attempts that wrote an outcome.",
            ["status"],
            buckets=JOB_BUCKETS,
        )
        self.job_attempts = counter(
            "webapp_job_attempts",
            "Attempts by how they ended: complete, failed, fenced, handed_back, lease_expired.",
            ["outcome"],
        )
        # Labelled by tenant name (operators make the keys, so the names are few), never the key.
        self.submits_limited = counter(
            "webapp_submits_limited",
            "Submits refused with 429 because their tenant was past a limit.",
            ["tenant", "limit"],
        )
        self.tenant_jobs_submitted = counter(
            "webapp_tenant_jobs_submitted",
            "Jobs accepted (202, replays excluded) by tenant; jobs without a tenant not counted.",
            ["tenant"],
        )
        self.tenant_jobs_finished = counter(
            "webapp_tenant_jobs_finished",
            "Jobs of a tenant that ended, by tenant and status (as webapp_jobs_finished).",
            ["tenant", "status"],
        )
        self.redis_errors = counter(
            "webapp_redis_errors",
            "Calls to Redis that failed (requests answered 503, runner calls, scrapes).",
        )
