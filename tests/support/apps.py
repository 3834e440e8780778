"""App factories that real gunicorn processes load in tests: the service with scripted jobs."""

from __future__ import annotations

import os

from flask import Flask

from tests.support.kinds import scripted_kinds
from webapp import create_app
from webapp.config import Settings


def create_scripted_app() -> Flask:
    """The service, reading the environment, with the scripted job kind instead of the optimizer."""
    settings = Settings.from_env(os.environ)
    kinds = scripted_kinds(os.environ.get("TEST_COUNTER_REDIS_URL"), settings.redis_key_prefix)
    return create_app(settings, kinds=kinds)


def create_noop_app() -> Flask:
    """The service, reading the environment, whose jobs return an empty result at once."""
    from webapp.jobs.kinds import JobKinds

    kinds = JobKinds()
    kinds.register("optimize", lambda job_input, context: {"lineups": []})
    return create_app(Settings.from_env(os.environ), kinds=kinds)


def create_compute_app() -> Flask:
    """The service, reading the environment, whose jobs compute in child processes as their
    slate_id says (tests/support/compute_kinds.py)."""
    from tests.support.compute_kinds import compute_kinds

    return create_app(Settings.from_env(os.environ), kinds=compute_kinds())
