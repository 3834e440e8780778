"""Access lines and request context in logs."""

from __future__ import annotations

from collections.abc import Callable

import orjson
from flask import Flask
from flask.testing import FlaskClient
from structlog.testing import LogCapture

from tests.conftest import capture_logs_into, valid_players
from webapp.jobs.extension import get_jobs
from webapp.observability.access_log import get_access_log


def capture_access_lines(app: Flask) -> list[dict]:
    """The rendered access lines of `app`, parsed, as they would reach the log writer."""
    lines: list[dict] = []
    access_log = get_access_log(app)
    assert access_log is not None
    access_log.write = lambda line: lines.append(orjson.loads(line))
    return lines


def test_one_access_line_per_request(app: Flask) -> None:
    """Each request logs status, duration, size, method, path and its correlation id once."""
    lines = capture_access_lines(app)

    response = app.test_client().get(
        "/optimize/01ARZ3NDEKTSV4RRFFQ69G5FAV", headers={"X-Correlation-ID": "c-1"}
    )

    (line,) = lines
    assert line["event"] == "request_finished" and line["logger"] == "webapp.access"
    assert line["level"] == "info" and line["timestamp"].endswith("Z")
    assert line["status"] == 404 and line["request_id"] == "c-1"
    assert line["method"] == "GET" and line["path"] == "/optimize/01ARZ3NDEKTSV4RRFFQ69G5FAV"
    assert line["response_bytes"] == len(response.data) and line["duration_ms"] >= 0
    assert line["remote_addr"] == "127.0.0.1" and "user_id" not in line


def test_a_minted_correlation_id_is_the_one_echoed(app: Flask) -> None:
    """Without a header, the access line carries the ULID the response echoes."""
    lines = capture_access_lines(app)

    response = app.test_client().post("/optimize", json={"slate_id": "noop"})

    assert lines[0]["request_id"] == response.headers["X-Correlation-ID"]
    assert lines[0]["status"] == response.status_code == 422


def test_probes_are_left_out_by_default(app: Flask) -> None:
    """/health and /ready do not fill the access log unless asked to."""
    lines = capture_access_lines(app)

    app.test_client().get("/health")

    assert lines == []


def test_probes_can_be_logged(make_app: Callable[..., Flask]) -> None:
    """ACCESS_LOG_PROBES=true logs probe requests too."""
    app = make_app(access_log_probes=True)
    lines = capture_access_lines(app)

    app.test_client().get("/health")

    assert [line["path"] for line in lines] == ["/health"]


def test_no_access_log_when_off_or_above_info(make_app: Callable[..., Flask]) -> None:
    """ACCESS_LOG=false turns it off; so does LOG_LEVEL=WARNING, as for any INFO line."""
    assert get_access_log(make_app(access_log=False)) is None
    assert get_access_log(make_app(log_level="WARNING")) is None
    assert get_access_log(make_app(log_level="DEBUG")) is not None


def test_rejected_correlation_id_is_logged_by_length_only(
    client: FlaskClient, log_capture: LogCapture
) -> None:
    """A malformed id is replaced; the log says how long it was, never what it said."""
    client.get("/health", headers={"X-Correlation-ID": "evil;" + "x" * 100})

    (rejected,) = [e for e in log_capture.entries if e["event"] == "correlation_id_rejected"]
    assert rejected["rejected_length"] == 105
    assert not any("evil" in str(value) for e in log_capture.entries for value in e.values())


def test_user_id_from_trusted_header(make_app: Callable[..., Flask]) -> None:
    """With USER_ID_HEADER set, the header's value is bound as user_id and kept on the job."""
    app = make_app(user_id_header="X-User-ID")
    lines = capture_access_lines(app)

    response = app.test_client().post(
        "/optimize",
        json={"slate_id": "noop", "players": valid_players()},
        headers={"X-User-ID": "user-9"},
    )

    assert lines[0]["user_id"] == "user-9"
    assert get_jobs(app).store().get(response.json["run_id"]).user_id == "user-9"


def test_user_id_header_is_ignored_when_not_configured(
    make_app: Callable[..., Flask], log_capture: LogCapture
) -> None:
    """Without USER_ID_HEADER, a client cannot inject a user id."""
    app = make_app(access_log_probes=True)
    capture_logs_into(log_capture)
    lines = capture_access_lines(app)

    app.test_client().get("/health", headers={"X-User-ID": "spoofed"})
    app.test_client().get("/nowhere", headers={"X-User-ID": "spoofed"})

    assert len(lines) == 2 and all("user_id" not in line for line in lines)
    assert all("user_id" not in e for e in log_capture.entries)
