"""Every exception a request can meet answers one envelope: status, code, details and headers
from the table in webapp.api.errors, the body written by its one renderer."""

from __future__ import annotations

import pytest
import redis
from flask import Flask
from marshmallow import ValidationError
from werkzeug import exceptions as http

from webapp.api import errors
from webapp.clients.neo4j_client import Neo4jUnavailableError
from webapp.jobs.durability import WaitPolicy
from webapp.jobs.errors import (
    IdempotencyConflictError,
    JobExpiredError,
    JobNotFoundError,
    ReplicationTimeoutError,
    ResultNotReadyError,
    TransientJobError,
)
from webapp.jobs.record import JobRecord
from webapp.jobs.states import JobStatus
from webapp.lineups.refusals import Refusal, SubmitRefusedError
from webapp.optimizer.errors import InfeasibleError
from webapp.slates.importer import PlayerBoundsError, SlateFileError, TooManyPlayersError
from webapp.slates.neo4j_slates import SlateNotFoundError

RUN_ID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"


def _record(status: JobStatus, error: str | None = None) -> JobRecord:
    return JobRecord(RUN_ID, "optimize", status, {}, error=error, error_code=error and "x")


# (exception, status, code, headers the response must carry)
CASES = [
    (errors.BadRequest("run_id must be a ULID"), 400, "bad_request", {}),
    (errors.MalformedJson("not JSON"), 400, "malformed_json", {}),
    (errors.InvalidRequest("sport is nhl"), 400, "invalid_request", {}),
    (ValidationError({"n_lineups": ["too big"]}), 400, "invalid_request", {}),
    (SlateFileError("bad salary", line=3, column="Salary"), 400, "invalid_slate_file", {}),
    (JobNotFoundError(RUN_ID), 404, "not_found", {}),
    (SlateNotFoundError("week6"), 404, "slate_not_found", {}),
    (http.NotFound(), 404, "not_found", {}),
    (http.MethodNotAllowed(["GET", "HEAD"]), 405, "method_not_allowed", {"Allow": "GET, HEAD"}),
    (errors.JobFinished("already ended"), 409, "job_finished", {}),
    (ResultNotReadyError(_record(JobStatus.RUNNING)), 409, "result_not_ready", {}),
    (ResultNotReadyError(_record(JobStatus.FAILED, "boom")), 409, "job_failed", {}),
    (JobExpiredError(RUN_ID), 410, "expired", {}),
    (http.RequestEntityTooLarge(), 413, "request_entity_too_large", {}),
    (TooManyPlayersError(1002, 1000), 413, "too_many_players", {}),
    (errors.UnsupportedMediaType("send JSON"), 415, "unsupported_media_type", {}),
    (http.UnsupportedMediaType(), 415, "unsupported_media_type", {}),
    (errors.Refused("sport_mismatch", "nfl slate"), 422, "sport_mismatch", {}),
    (PlayerBoundsError("salary -5", line=3, column="Salary"), 422, "invalid_player", {}),
    (IdempotencyConflictError(), 422, "idempotency_key_reused", {}),
    (SubmitRefusedError([Refusal("single_game", "one game")]), 422, "single_game", {}),
    (http.TooManyRequests(retry_after=7), 429, "too_many_requests", {"Retry-After": "7"}),
    (
        errors.Unavailable("draining", headers={"Retry-After": "10"}),
        503,
        "unavailable",
        {"Retry-After": "10"},
    ),
    (redis.ConnectionError("refused"), 503, "redis_unavailable", {"Retry-After": "5"}),
    (redis.exceptions.ReadOnlyError("replica"), 503, "redis_unavailable", {"Retry-After": "5"}),
    (redis.ResponseError("MISCONF no save"), 503, "redis_unavailable", {"Retry-After": "5"}),
    (Neo4jUnavailableError("down"), 503, "slate_store_unavailable", {"Retry-After": "5"}),
    (
        ReplicationTimeoutError(0, WaitPolicy(replicas=1, timeout_ms=100)),
        503,
        "replication_timeout",
        {"Retry-After": "1"},
    ),
    (redis.ResponseError("ERR unknown command"), 500, "internal_error", {}),
    (TransientJobError("later"), 500, "internal_error", {}),
    (InfeasibleError("no lineup"), 500, "internal_error", {}),
    (RuntimeError("password=hunter2"), 500, "internal_error", {}),
]


@pytest.mark.parametrize(
    ("error", "status", "code", "headers"), CASES, ids=[type(c[0]).__name__ for c in CASES]
)
def test_each_exception_has_its_status_code_and_headers(
    app: Flask, error: Exception, status: int, code: str, headers: dict[str, str]
) -> None:
    with app.test_request_context("/optimize", method="POST"):
        response = errors.render(errors.problem_for(error))

    assert response.status_code == status
    assert response.json is not None and set(response.json) == {"error"}
    assert set(response.json["error"]) == {"code", "message", "details"}
    assert response.json["error"]["code"] == code
    assert {name: response.headers.get(name) for name in headers} == headers
    if not headers:
        assert set(response.headers.keys()) == {"Content-Type", "Content-Length"}


# (exception, message, details)
MESSAGES = [
    (JobNotFoundError(RUN_ID), f"no job with run_id {RUN_ID}", None),
    (JobExpiredError(RUN_ID), f"job {RUN_ID} has expired", {"status": "expired"}),
    (ValidationError({"a": ["bad"]}), "the request body is invalid", {"a": ["bad"]}),
    (
        SlateFileError("bad salary", line=3, column="Salary"),
        "line 3, column 'Salary': bad salary",
        {"line": 3, "column": "Salary"},
    ),
    (
        ResultNotReadyError(_record(JobStatus.FAILED, "boom")),
        f"job {RUN_ID} failed: boom",
        {"status": "failed", "progress": 0.0, "error": "boom", "error_code": "x"},
    ),
    (
        ResultNotReadyError(_record(JobStatus.PENDING)),
        f"job {RUN_ID} is pending; its result is not ready",
        {"status": "pending", "progress": 0.0, "error": None, "error_code": None},
    ),
    (
        SubmitRefusedError([Refusal("a", "first", ("p1",)), Refusal("b", "second")]),
        "first (and 1 more: see details)",
        {
            "refusals": [
                {"code": "a", "message": "first", "players": ["p1"]},
                {"code": "b", "message": "second", "players": []},
            ]
        },
    ),
    (
        ReplicationTimeoutError(1, WaitPolicy(replicas=2, timeout_ms=100)),
        "the job could not be confirmed on enough Redis replicas and was not accepted; "
        "retry with the same Idempotency-Key",
        {"replicas_confirmed": 1, "replicas_required": 2},
    ),
    (
        http.MethodNotAllowed(["GET"]),
        "POST is not allowed on /optimize; allowed: GET",
        None,
    ),
    (RuntimeError("password=hunter2"), "an unexpected error occurred", None),
]


@pytest.mark.parametrize(
    ("error", "message", "details"), MESSAGES, ids=[type(c[0]).__name__ for c in MESSAGES]
)
def test_messages_and_details(app: Flask, error: Exception, message: str, details: object) -> None:
    with app.test_request_context("/optimize", method="POST"):
        problem = errors.problem_for(error)

    assert (problem.message, problem.details) == (message, details)


def test_payload_too_large_names_the_limit(app: Flask) -> None:
    """413 says the configured MAX_CONTENT_LENGTH in the message and the details."""
    limit = app.config["MAX_CONTENT_LENGTH"]
    with app.test_request_context("/optimize", method="POST"):
        problem = errors.problem_for(http.RequestEntityTooLarge())

    assert problem.details == {"limit_bytes": limit}
    assert str(limit) in problem.message


def test_a_raised_error_goes_through_the_table(app: Flask) -> None:
    """A view's exception reaches the same table and renderer, whatever it is."""

    def fails() -> None:
        raise redis.ConnectionError("connecting to redis://:secret@db:6379")

    app.add_url_rule("/fails", view_func=fails)

    response = app.test_client().get("/fails")

    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.json["error"]["code"] == "redis_unavailable"
    assert "secret" not in response.get_data(as_text=True)


def test_every_client_facing_code_is_in_the_openapi_document(app: Flask) -> None:
    """The document names each code the table answers with (rule codes of a refusal aside,
    and Werkzeug's generic ones such as 405 or 429)."""
    from webapp.api.openapi import build_spec

    text = str(build_spec()["paths"])
    codes = {
        code
        for error, _, code, _ in CASES
        if code != "internal_error"
        and not isinstance(error, (SubmitRefusedError, http.HTTPException))
    }

    assert {code for code in codes if code not in text} == set()
