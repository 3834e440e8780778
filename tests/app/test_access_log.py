"""Access lines and request context in logs."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import orjson
import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from structlog.testing import LogCapture
from werkzeug.serving import make_server

from tests.conftest import capture_logs_into, close_app, valid_players
from tests.support.kinds import scripted_kinds
from webapp import create_app
from webapp.config import Settings
from webapp.jobs.extension import get_jobs
from webapp.observability.access_log import ACCESS_LOG, EVENT
from webapp.observability.logs import json_formatter


@pytest.fixture
def rendered() -> Iterator[list[dict]]:
    """Every line logged while the test runs, rendered by the service's formatter, parsed."""
    lines: list[dict] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(orjson.loads(self.format(record)))

    handler = Collect()
    handler.setFormatter(json_formatter())
    logging.getLogger().addHandler(handler)
    yield lines
    logging.getLogger().removeHandler(handler)


def access_lines(lines: list[dict]) -> list[dict]:
    """The access lines among `lines`."""
    return [line for line in lines if line["event"] == EVENT]


def test_one_access_line_per_request(app: Flask, rendered: list[dict]) -> None:
    """Each request logs status, duration, size, method, path and its correlation id once."""
    response = app.test_client().get(
        "/optimize/01ARZ3NDEKTSV4RRFFQ69G5FAV", headers={"X-Correlation-ID": "c-1"}
    )

    (line,) = access_lines(rendered)
    assert line["event"] == "request_finished" and line["logger"] == "webapp.access"
    assert line["level"] == "info" and line["timestamp"].endswith("Z")
    assert line["status"] == 404 and line["request_id"] == "c-1"
    assert line["method"] == "GET" and line["path"] == "/optimize/01ARZ3NDEKTSV4RRFFQ69G5FAV"
    assert line["response_bytes"] == len(response.data) and line["duration_ms"] >= 0
    assert line["remote_addr"] == "127.0.0.1" and "user_id" not in line


def test_a_minted_correlation_id_is_the_one_echoed(app: Flask, rendered: list[dict]) -> None:
    """Without a header, the access line carries the ULID the response echoes."""
    response = app.test_client().post("/optimize", json={"slate_id": "noop"})

    lines = access_lines(rendered)
    assert lines[0]["request_id"] == response.headers["X-Correlation-ID"]
    assert lines[0]["status"] == response.status_code == 422


def test_probes_are_left_out_by_default(app: Flask, rendered: list[dict]) -> None:
    """/health and /ready do not fill the access log unless asked to."""
    app.test_client().get("/health")

    assert access_lines(rendered) == []


def test_probes_can_be_logged(make_app: Callable[..., Flask], rendered: list[dict]) -> None:
    """ACCESS_LOG_PROBES=true logs probe requests too."""
    app = make_app(access_log_probes=True)

    app.test_client().get("/health")

    assert [line["path"] for line in access_lines(rendered)] == ["/health"]


def test_no_access_log_when_off_or_above_info(make_app: Callable[..., Flask]) -> None:
    """ACCESS_LOG=false turns it off; so does LOG_LEVEL=WARNING, as for any INFO line."""
    assert ACCESS_LOG.find(make_app(access_log=False)) is None
    assert ACCESS_LOG.find(make_app(log_level="WARNING")) is None
    assert ACCESS_LOG.find(make_app(log_level="DEBUG")) is not None


def test_rejected_correlation_id_is_logged_by_length_only(
    client: FlaskClient, log_capture: LogCapture
) -> None:
    """A malformed id is replaced; the log says how long it was, never what it said."""
    client.get("/health", headers={"X-Correlation-ID": "evil;" + "x" * 100})

    (rejected,) = [e for e in log_capture.entries if e["event"] == "correlation_id_rejected"]
    assert rejected["rejected_length"] == 105
    assert not any("evil" in str(value) for e in log_capture.entries for value in e.values())


def test_user_id_from_trusted_header(make_app: Callable[..., Flask], rendered: list[dict]) -> None:
    """With USER_ID_HEADER set, the header's value is bound as user_id and kept on the job."""
    app = make_app(user_id_header="X-User-ID")

    response = app.test_client().post(
        "/optimize",
        json={"slate_id": "noop", "players": valid_players()},
        headers={"X-User-ID": "user-9"},
    )

    assert access_lines(rendered)[0]["user_id"] == "user-9"
    assert get_jobs(app).store().get(response.json["run_id"]).user_id == "user-9"


def test_user_id_header_is_ignored_when_not_configured(
    make_app: Callable[..., Flask], log_capture: LogCapture
) -> None:
    """Without USER_ID_HEADER, a client cannot inject a user id."""
    app = make_app(access_log_probes=True)
    capture_logs_into(log_capture)

    app.test_client().get("/health", headers={"X-User-ID": "spoofed"})
    app.test_client().get("/nowhere", headers={"X-User-ID": "spoofed"})

    assert len([e for e in log_capture.entries if e["event"] == EVENT]) == 2
    assert all("user_id" not in e for e in log_capture.entries)


def _file_lines(path: Path) -> list[dict]:
    for handler in logging.getLogger().handlers:
        handler.flush()  # the lines are written by the logging thread
    return [orjson.loads(line) for line in path.read_text().splitlines()]


def test_the_log_file_gets_each_access_line_once(settings: Settings, tmp_path: Path) -> None:
    """With LOG_FILE set, every request leaves exactly one access line in the file."""
    log_file = tmp_path / "app.log"
    app = create_app(replace(settings, log_file=str(log_file)), kinds=scripted_kinds())
    try:
        for i in range(3):
            app.test_client().get(f"/nowhere/{i}")
    finally:
        close_app(app)

    lines = [line for line in _file_lines(log_file) if "/nowhere/" in orjson.dumps(line).decode()]
    assert [(line["event"], line.get("path")) for line in lines] == [
        (EVENT, f"/nowhere/{i}") for i in range(3)
    ]


def test_the_development_server_adds_no_second_access_line(
    settings: Settings, tmp_path: Path
) -> None:
    """Under `flask run` (Werkzeug's server) the file holds the service's access line only, not
    Werkzeug's own line for the same request."""
    log_file = tmp_path / "app.log"
    app = create_app(replace(settings, log_file=str(log_file)), kinds=scripted_kinds())
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for i in range(3):
            requests.get(f"http://127.0.0.1:{server.server_port}/nowhere/{i}", timeout=10)
    finally:
        server.shutdown()
        thread.join(5)
        close_app(app)

    lines = [line for line in _file_lines(log_file) if "/nowhere/" in orjson.dumps(line).decode()]
    assert [(line["event"], line.get("path")) for line in lines] == [
        (EVENT, f"/nowhere/{i}") for i in range(3)
    ]
