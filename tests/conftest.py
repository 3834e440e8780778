"""Fixtures shared by every test: settings, an app per test, Redis (fake or real), cleanup."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import fakeredis
import pytest
import redis
import structlog
from flask import Flask
from flask.testing import FlaskClient
from structlog.testing import LogCapture

from tests.support.fake_redis import fake_connection_kwargs
from tests.support.kinds import scripted_kinds
from webapp import create_app
from webapp.clients.neo4j_client import get_neo4j
from webapp.clients.redis_client import get_redis
from webapp.config import Settings
from webapp.jobs.extension import get_jobs
from webapp.jobs.store import JobStore

# The shared Redis that tests needing only a working server use, each under its own key prefix.
SHARED_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def pytest_configure(config: pytest.Config) -> None:
    """Refuse to run when the Neo4j driver is not the one this run was meant to test."""
    import neo4j

    expected = os.environ.get("EXPECT_NEO4J_DRIVER")
    if expected and neo4j.__version__ != expected:
        raise pytest.UsageError(f"neo4j driver {neo4j.__version__} loaded, expected {expected}")


def pytest_report_header() -> str:
    """Name the client versions under test (scripts/test runs the Neo4j tests on two drivers)."""
    import neo4j

    return f"neo4j driver {neo4j.__version__}, redis-py {redis.__version__}, {SHARED_REDIS_URL}"


def close_app(app: Flask) -> None:
    """Stop an app's threads and close its clients."""
    jobs = get_jobs(app)
    jobs.runner.shutdown()
    if jobs.presence is not None:  # its last write (forget this worker) must not race the close
        jobs.presence.join(timeout=2)
    get_redis(app).close()
    get_neo4j(app).close()


def _prefix() -> str:
    return f"test{uuid.uuid4().hex[:10]}"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for one test: own key prefix, no log file, short timings."""
    return Settings(
        testing=True,
        log_file="",
        redis_url=SHARED_REDIS_URL,
        redis_key_prefix=_prefix(),
        drain_flag_file=str(tmp_path / "draining"),
        job_lease_seconds=5.0,
        recovery_scan_seconds=1.0,
    )


@pytest.fixture
def fake_server() -> fakeredis.FakeServer:
    """A fresh in-memory Redis per test."""
    return fakeredis.FakeServer()


@pytest.fixture
def make_app(
    settings: Settings, fake_server: fakeredis.FakeServer
) -> Iterator[Callable[..., Flask]]:
    """Build apps on fakeredis with scripted kinds and settings overrides; runners not started."""
    built: list[Flask] = []

    def build(**overrides: object) -> Flask:
        app = create_app(replace(settings, **overrides), kinds=scripted_kinds())  # type: ignore[arg-type]
        get_redis(app).extra_kwargs = fake_connection_kwargs(fake_server)
        built.append(app)
        return app

    yield build
    for app in built:
        close_app(app)


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """The service on fakeredis, with scripted job kinds; its runner is not started."""
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def store(app: Flask) -> JobStore:
    """The app's JobStore (on fakeredis)."""
    return get_jobs(app).store()


@pytest.fixture
def real_redis(settings: Settings) -> Iterator[redis.Redis]:
    """The shared real Redis; every key under this test's prefix is deleted afterwards."""
    client = redis.Redis.from_url(SHARED_REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {SHARED_REDIS_URL}")
    yield client
    for key in client.scan_iter(f"{settings.redis_key_prefix}:*", count=1000):
        client.delete(key)
    client.close()


@pytest.fixture
def real_app(settings: Settings, real_redis: redis.Redis) -> Iterator[Flask]:
    """The service on the shared real Redis, with scripted job kinds; runner not started."""
    app = create_app(settings, kinds=scripted_kinds())
    yield app
    close_app(app)


@pytest.fixture
def real_store(real_app: Flask) -> JobStore:
    return get_jobs(real_app).store()


def capture_logs_into(capture: LogCapture) -> None:
    """Send structlog events to `capture` (again after create_app reconfigured logging)."""
    structlog.configure(processors=[structlog.contextvars.merge_contextvars, capture])


@pytest.fixture
def log_capture() -> Iterator[LogCapture]:
    """Capture structlog events (list appends are thread-safe); apps built later need
    capture_logs_into(log_capture) after create_app."""
    capture = LogCapture()
    capture_logs_into(capture)
    yield capture
    structlog.reset_defaults()


@pytest.fixture(autouse=True)
def _clean_logging_context() -> Iterator[None]:
    """No structlog context leaks from one test into the next."""
    structlog.contextvars.clear_contextvars()
    yield
    structlog.contextvars.clear_contextvars()


@pytest.fixture(autouse=True)
def _no_leaked_runner_threads() -> Iterator[None]:
    """Fail a test that leaves job threads running."""
    yield
    leaked = [
        t.name
        for t in threading.enumerate()
        if t.name.startswith(("job-runner", "job-dispatcher", "job-maintenance")) and t.is_alive()
    ]
    assert not leaked, f"threads left running: {leaked}"


def valid_players(count: int = 2) -> list[dict]:
    """A minimal valid players list (the scripted kinds ignore it)."""
    return [
        {
            "id": f"p{i}",
            "name": f"Player {i}",
            "positions": ["QB"],
            "salary": 5000,
            "team": "AAA",
            "opponent": "BBB",
            "projection": 10.0 + i,
        }
        for i in range(count)
    ]
