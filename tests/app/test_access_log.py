"""Access lines and request context in logs."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from structlog.testing import LogCapture

from tests.conftest import capture_logs_into, valid_players
from webapp.jobs.extension import get_jobs


def _access_lines(capture: LogCapture) -> list[dict]:
    return [e for e in capture.entries if e["event"] == "request_finished"]


def test_one_access_line_per_request(client: FlaskClient, log_capture: LogCapture) -> None:
    """Each request logs status, duration, size, method, path and its correlation id once."""
    response = client.get(
        "/optimize/01ARZ3NDEKTSV4RRFFQ69G5FAV", headers={"X-Correlation-ID": "c-1"}
    )

    (line,) = _access_lines(log_capture)
    assert line["status"] == 404 and line["request_id"] == "c-1"
    assert line["method"] == "GET" and line["path"] == "/optimize/01ARZ3NDEKTSV4RRFFQ69G5FAV"
    assert line["response_bytes"] == len(response.data) and line["duration_ms"] >= 0


def test_probes_are_left_out_by_default(client: FlaskClient, log_capture: LogCapture) -> None:
    """/health and /ready do not fill the access log unless asked to."""
    client.get("/health")

    assert _access_lines(log_capture) == []


def test_probes_can_be_logged(make_app: Callable[..., Flask], log_capture: LogCapture) -> None:
    """ACCESS_LOG_PROBES=true logs probe requests too."""
    app = make_app(access_log_probes=True)
    capture_logs_into(log_capture)

    app.test_client().get("/health")

    assert [line["path"] for line in _access_lines(log_capture)] == ["/health"]


def test_rejected_correlation_id_is_logged_by_length_only(
    client: FlaskClient, log_capture: LogCapture
) -> None:
    """A malformed id is replaced; the log says how long it was, never what it said."""
    client.get("/health", headers={"X-Correlation-ID": "evil;" + "x" * 100})

    (rejected,) = [e for e in log_capture.entries if e["event"] == "correlation_id_rejected"]
    assert rejected["rejected_length"] == 105
    assert not any("evil" in str(value) for e in log_capture.entries for value in e.values())


def test_user_id_from_trusted_header(
    make_app: Callable[..., Flask], log_capture: LogCapture
) -> None:
    """With USER_ID_HEADER set, the header's value is bound as user_id and kept on the job."""
    app = make_app(user_id_header="X-User-ID")
    capture_logs_into(log_capture)

    response = app.test_client().post(
        "/optimize",
        json={"slate_id": "noop", "players": valid_players()},
        headers={"X-User-ID": "user-9"},
    )

    assert _access_lines(log_capture)[0]["user_id"] == "user-9"
    assert get_jobs(app).store().get(response.json["run_id"]).user_id == "user-9"


def test_user_id_header_is_ignored_when_not_configured(
    client: FlaskClient, log_capture: LogCapture
) -> None:
    """Without USER_ID_HEADER, a client cannot inject a user id."""
    client.get("/health", headers={"X-User-ID": "spoofed"})
    client.get("/nowhere", headers={"X-User-ID": "spoofed"})

    assert all("user_id" not in e for e in log_capture.entries)
