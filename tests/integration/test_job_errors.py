"""What a failed job tells its client: which dependency failed, never where it lives.

A dependency's error message names its host and port (redis-py's "Error 111 connecting to
10.0.0.5:6379", the Neo4j URI); the job's public `error` says which dependency it was, and the
log lines keep the full message for operators.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import redis
from flask import Flask
from structlog.testing import LogCapture

from tests.conftest import capture_logs_into, close_app, valid_players
from tests.support.kinds import scripted_kinds
from tests.support.waiting import wait_until
from webapp import create_app
from webapp.config import Settings
from webapp.jobs import runner as runner_module
from webapp.jobs import service
from webapp.jobs.extension import get_jobs
from webapp.jobs.states import JobStatus

pytestmark = pytest.mark.integration

UNREACHABLE_BOLT = "10.9.8.7:7687"


def _no_route(job_input: dict[str, Any], context: Any) -> dict[str, Any]:
    raise OSError(f"[Errno 113] No route to host {UNREACHABLE_BOLT}")


@pytest.fixture
def failing_app(
    settings: Settings,
    real_redis: redis.Redis,
    log_capture: LogCapture,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Flask]:
    """The service on the real Redis with two attempts a job and short retry delays; its log
    events go to `log_capture`."""
    monkeypatch.setattr(runner_module, "RETRY_DELAY_MIN_S", 0.05)
    kinds = scripted_kinds()
    kinds.register("unreachable", _no_route)
    app = create_app(replace(settings, max_attempts=2), kinds=kinds)
    capture_logs_into(log_capture)
    yield app
    close_app(app)


def _run_to_failure(app: Flask, slate_id: str, kind: str = "optimize") -> dict[str, Any]:
    store = get_jobs(app).store()
    job_input = {"slate_id": slate_id, "players": valid_players()}
    run_id = service.submit(store, job_input, kind=kind).run_id
    get_jobs(app).runner.start()
    wait_until(lambda: store.get(run_id).status is JobStatus.FAILED, 15)
    return store.get(run_id).to_status_document()


def _logged_errors(capture: LogCapture) -> str:
    return " ".join(str(entry.get("error", "")) for entry in capture.entries)


@pytest.mark.parametrize(
    ("script", "address", "dependency"),
    [
        ("flaky-redis:9", "127.0.0.1:6379", "(Redis)"),
        ("flaky-neo4j:9", "127.0.0.1:7687", "(Neo4j)"),
    ],
    ids=["redis", "neo4j"],
)
def test_a_dependency_error_names_the_dependency_not_its_address(
    failing_app: Flask, log_capture: LogCapture, script: str, address: str, dependency: str
) -> None:
    """A job that gave up on an unreachable dependency says which one; its host and port are in
    the logs only."""
    document = _run_to_failure(failing_app, script)

    assert document["error_code"] == "gave_up"
    assert dependency in document["error"]
    assert address not in document["error"]
    assert address in _logged_errors(log_capture)


def test_an_unexpected_error_keeps_its_message_in_the_logs(
    failing_app: Flask, log_capture: LogCapture
) -> None:
    """A job that crashed on an unexpected error answers internal_error naming the kind of
    error; the message, with any address in it, goes to the logs."""
    document = _run_to_failure(failing_app, "noop", kind="unreachable")

    assert document["error_code"] == "internal_error"
    assert "OSError" in document["error"]
    assert UNREACHABLE_BOLT not in document["error"]
    crashed = [entry for entry in log_capture.entries if entry["event"] == "job_crashed"]
    assert crashed and crashed[0].get("exc_info")
