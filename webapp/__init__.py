"""Lineup optimizer job service: a Flask app whose jobs live in Redis.

gunicorn runs `webapp:create_app()`, so every worker builds its own app after the fork.
"""

from __future__ import annotations

import logging
import os

from flask import Flask

from webapp.api import errors, openapi
from webapp.api.json_provider import OrjsonProvider
from webapp.clients import neo4j_client, redis_client
from webapp.config import SETTINGS, Settings
from webapp.jobs import extension as jobs_extension
from webapp.jobs.events import NO_EVENTS
from webapp.jobs.kinds import JobKinds
from webapp.observability import access_log, correlation
from webapp.observability.logs import configure_logging
from webapp.runtime import cli, dev_server, lifecycle
from webapp.tenants import auth

__all__ = ["create_app"]


def default_kinds(neo4j: neo4j_client.Neo4jClient, settings: Settings) -> JobKinds:
    """The job kinds of the service."""
    from webapp.contest.checks import check_contest
    from webapp.contest.job import make_contest_job
    from webapp.lineups.job import make_optimize_job
    from webapp.lineups.refusals import check_submission
    from webapp.slates.neo4j_slates import load_slate

    def players_of(slate_id: str) -> list[dict]:
        return load_slate(neo4j, slate_id).players

    kinds = JobKinds()
    kinds.register(
        "optimize",
        make_optimize_job(
            players_of if neo4j.is_configured else None,
            time_budget_seconds=settings.optimizer_budget_s,
            threads=settings.optimizer_threads,
        ),
        check=check_submission,
    )
    kinds.register("contest", make_contest_job(), check=check_contest)
    return kinds


def create_app(settings: Settings | None = None, *, kinds: JobKinds | None = None) -> Flask:
    """Build a configured app. Tests pass their own Settings; production reads the environment."""
    settings = settings or Settings.from_env(os.environ)
    configure_logging(settings)
    app = Flask(__name__)
    app.config.update(settings.flask_config())
    app.json = OrjsonProvider(app)
    SETTINGS.register(app, settings)
    connections = redis_client.init_app(app, settings)
    neo4j = neo4j_client.init_app(app, settings)
    kinds = kinds or default_kinds(neo4j, settings)
    events = NO_EVENTS
    if settings.metrics_enabled:
        from webapp.observability.metrics import extension as metrics_extension

        events = metrics_extension.init_app(app).job_events
    jobs = jobs_extension.init_app(app, settings, connections, kinds, events)
    lifecycle.init_app(app, jobs.runner)  # the drain flag pauses this runner
    dev_server.init_app(app)
    correlation.init_app(app, user_id_header=settings.user_id_header)
    auth.init_app(app, settings)
    if settings.access_log and logging.getLevelName(settings.log_level) <= logging.INFO:
        access_log.init_app(app, include_probes=settings.access_log_probes)
    errors.register_error_handlers(app)
    cli.init_app(app)
    _register_blueprints(app)
    if settings.admin_password:
        from webapp.admin import views as admin_views

        admin_views.init_app(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from webapp import api, health
    from webapp.health.registry import register_checks
    from webapp.slates import views as slates

    register_checks(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(slates.bp)
    openapi.init_app(app)
