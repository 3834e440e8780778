"""The one place any exception becomes a JSON error response.

Body: {"error": {"code": ..., "message": ..., "details": ...}}. Domain exceptions from `jobs/`
know nothing about HTTP; they are mapped to statuses here.
"""

from __future__ import annotations

from typing import Any

import redis
import structlog
from flask import Flask, Response, current_app, jsonify
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from webapp.jobs.durability import ReplicationTimeoutError
from webapp.jobs.errors import is_transient_redis_error
from webapp.jobs.service import ResultNotReadyError
from webapp.jobs.states import JobStatus
from webapp.jobs.store import (
    IdempotencyConflictError,
    JobExpiredError,
    JobNotFoundError,
)
from webapp.metrics.hooks import record_redis_error
from webapp.redaction import redact

log = structlog.get_logger(__name__)

# Seconds a client is told to wait after a Redis error or an unconfirmed submit.
REDIS_RETRY_AFTER_S = 5
REPLICATION_RETRY_AFTER_S = 1


class ApiError(Exception):
    """An error with an HTTP status and a stable machine-readable code."""

    status = 500
    code = "internal_error"

    def __init__(
        self,
        message: str,
        *,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers or {}


class BadRequest(ApiError):
    status = 400
    code = "bad_request"


class InvalidRequest(ApiError):
    status = 400
    code = "invalid_request"


class NotFound(ApiError):
    status = 404
    code = "not_found"


class Conflict(ApiError):
    status = 409
    code = "conflict"


class Gone(ApiError):
    status = 410
    code = "expired"


class Unprocessable(ApiError):
    status = 422
    code = "unprocessable"


class Unavailable(ApiError):
    status = 503
    code = "unavailable"


def error_response(
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Build the JSON error envelope."""
    response = jsonify({"error": {"code": code, "message": message, "details": details}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _api_error(error: ApiError) -> Response:
    return error_response(error.status, error.code, error.message, error.details, error.headers)


def _validation_error(error: ValidationError) -> Response:
    return error_response(400, "invalid_request", "the request body is invalid", error.messages)


def _not_found(error: JobNotFoundError) -> Response:
    return error_response(404, "not_found", f"no job with run_id {error.args[0]}")


def _expired(error: JobExpiredError) -> Response:
    return error_response(410, "expired", f"job {error.args[0]} has expired", {"status": "expired"})


def _not_ready(error: ResultNotReadyError) -> Response:
    record = error.record
    if record.status is JobStatus.FAILED:
        message = f"job {record.run_id} failed: {record.error}"
    else:
        message = f"job {record.run_id} is {record.status}; its result is not ready"
    details = {
        "status": str(record.status),
        "progress": record.progress,
        "error": record.error,
    }
    return error_response(409, "result_not_ready", message, details)


def _idempotency_conflict(error: IdempotencyConflictError) -> Response:
    return error_response(422, "idempotency_key_reused", str(error))


def _redis_error(error: redis.RedisError) -> Response:
    record_redis_error(current_app)
    if not is_transient_redis_error(error):
        return _unexpected(error)
    log.warning("redis_unavailable", error_type=type(error).__name__, error=redact(error))
    return error_response(
        503,
        "redis_unavailable",
        "the job store cannot take this request right now; try again shortly",
        headers={"Retry-After": str(REDIS_RETRY_AFTER_S)},
    )


def _replication_timeout(error: ReplicationTimeoutError) -> Response:
    log.warning("submit_not_replicated", reason=str(error))
    return error_response(
        503,
        "replication_timeout",
        "the job could not be confirmed on enough Redis replicas and was not accepted; "
        "retry with the same Idempotency-Key",
        details={"replicas_confirmed": error.acked, "replicas_required": error.wait.replicas},
        headers={"Retry-After": str(REPLICATION_RETRY_AFTER_S)},
    )


def _http_error(error: HTTPException) -> Response:
    response = error.get_response()  # keeps headers such as Allow on 405
    body = error_response(error.code or 500, _slug(error.name), error.description or error.name)
    body.headers.extend(
        {
            k: v
            for k, v in response.headers.items()
            if k.lower() not in {"content-type", "content-length"}
        }
    )
    return body


def _unexpected(error: Exception) -> Response:
    log.error(
        "unhandled_error", error_type=type(error).__name__, error=redact(error), exc_info=True
    )
    return error_response(500, "internal_error", "an unexpected error occurred")


def _slug(name: str) -> str:
    return name.lower().replace(" ", "_").replace("'", "")


def register_error_handlers(app: Flask) -> None:
    """Install the handlers; most specific first."""
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(ValidationError, _validation_error)
    app.register_error_handler(JobNotFoundError, _not_found)
    app.register_error_handler(JobExpiredError, _expired)
    app.register_error_handler(ResultNotReadyError, _not_ready)
    app.register_error_handler(IdempotencyConflictError, _idempotency_conflict)
    app.register_error_handler(ReplicationTimeoutError, _replication_timeout)
    app.register_error_handler(redis.RedisError, _redis_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
