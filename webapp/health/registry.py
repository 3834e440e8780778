"""Which checks /ready runs, wired to the app's clients."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from webapp.clients.neo4j_client import get_neo4j
from webapp.clients.redis_client import get_redis
from webapp.config import get_settings
from webapp.health import checks
from webapp.health.probes import Probes, init_app
from webapp.jobs.extension import get_jobs


def register_checks(app: Flask) -> Probes:
    """Redis, Neo4j, the job queue and this process's executor."""
    settings = get_settings(app)
    probes = Probes(timeout_s=settings.ready_check_timeout_s, cache_s=settings.ready_cache_seconds)
    connections = get_redis(app)
    jobs = get_jobs(app)
    probes.add(
        "redis",
        "datastore",
        ("redis:responseTime",),
        lambda: checks.check_redis(
            connections.probe_client(),
            safe_url=connections.safe_url,
            primary=connections.primary_address,
        ),
    )
    probes.add("neo4j", "datastore", ("neo4j:responseTime",), _neo4j_check(app))
    probes.add(
        "jobs",
        "component",
        ("jobs:queueDepth",),
        lambda: checks.check_jobs(jobs.store()),
    )
    probes.add(
        "executor",
        "component",
        ("executor:utilization",),
        lambda: checks.check_executor(
            jobs.runner.utilization(),
            accepting=jobs.runner.is_accepting,
            threads_ok=jobs.runner.ensure_threads() and jobs.runner.threads_alive(),
        ),
        cacheable=False,
    )
    return init_app(app, probes)


def _neo4j_check(app: Flask) -> Callable[[], checks.Checks]:
    client = get_neo4j(app)
    return lambda: checks.check_neo4j(client)
