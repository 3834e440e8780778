"""The one place any exception becomes a JSON error response.

Body: {"error": {"code": ..., "message": ..., "details": ...}}. Domain exceptions from `jobs/`
know nothing about HTTP; they are mapped to statuses here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import redis
import structlog
from flask import Flask, Request, Response, current_app, jsonify, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from webapp.clients.neo4j_client import Neo4jUnavailableError
from webapp.jobs.durability import ReplicationTimeoutError
from webapp.jobs.errors import is_transient_redis_error
from webapp.jobs.service import ResultNotReadyError
from webapp.jobs.states import JobStatus
from webapp.jobs.store import (
    IdempotencyConflictError,
    JobExpiredError,
    JobNotFoundError,
)
from webapp.observability.metrics.hooks import record_redis_error
from webapp.redaction import redact
from webapp.slates.importer import SlateFileError
from webapp.slates.repository import SlateNotFoundError

if TYPE_CHECKING:
    from webapp.api.refusals import SubmitRefusedError

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


class JobFinished(ApiError):
    status = 409
    code = "job_finished"


class Gone(ApiError):
    status = 410
    code = "expired"


class Unprocessable(ApiError):
    status = 422
    code = "unprocessable"


class Refused(ApiError):
    """422 for a request that can never succeed; `code` names the rule it breaks."""

    status = 422

    def __init__(self, code: str, message: str, *, details: Any = None) -> None:
        super().__init__(message, details=details)
        self.code = code


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
    details = {
        "status": str(record.status),
        "progress": record.progress,
        "error": record.error,
        "error_code": record.error_code,
    }
    if record.status is JobStatus.FAILED:
        # A failed job will never have a result: its own code, so clients stop waiting.
        message = f"job {record.run_id} failed: {record.error}"
        return error_response(409, "job_failed", message, details)
    message = f"job {record.run_id} is {record.status}; its result is not ready"
    return error_response(409, "result_not_ready", message, details)


def _idempotency_conflict(error: IdempotencyConflictError) -> Response:
    return error_response(422, "idempotency_key_reused", str(error))


def _refused(error: SubmitRefusedError) -> Response:
    first = error.refusals[0]
    more = len(error.refusals) - 1
    message = first.message + (f" (and {more} more: see details)" if more else "")
    details = {"refusals": [refusal.to_dict() for refusal in error.refusals]}
    return error_response(422, first.code, message, details)


def _bad_slate_file(error: SlateFileError) -> Response:
    details = {"line": error.line, "column": error.column}
    return error_response(400, "invalid_slate_file", str(error), details)


def _slate_not_found(error: SlateNotFoundError) -> Response:
    return error_response(404, "slate_not_found", str(error))


def _neo4j_down(error: Neo4jUnavailableError) -> Response:
    log.warning("neo4j_unavailable", error=str(error))
    return error_response(
        503,
        "slate_store_unavailable",
        "the slate store (Neo4j) is unreachable; try again shortly",
        headers={"Retry-After": "5"},
    )


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


class MalformedJson(ApiError):
    status = 400
    code = "malformed_json"


class UnsupportedMediaType(ApiError):
    status = 415
    code = "unsupported_media_type"


class ServiceRequest(Request):
    """Flask's request, whose JSON failures raise this service's errors, not Werkzeug's text."""

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        """Called by get_json(): None when the Content-Type is not JSON, else the parse error."""
        if e is None:
            raise UnsupportedMediaType(
                f"send the body as application/json (got {self.mimetype or 'no Content-Type'!r})"
            )
        where = ""
        if hasattr(e, "lineno") and hasattr(e, "colno"):
            where = f" at line {e.lineno} column {e.colno}"
        raise MalformedJson(f"the request body is not valid JSON{where}: {getattr(e, 'msg', e)}")


def _framework_message(error: HTTPException) -> str:
    """Our own words for the errors Werkzeug raises itself (routing, limits)."""
    method, path = request.method, request.path[:200]
    if error.code == 404:
        return f"no resource at {path}"
    if error.code == 405:
        allowed = ", ".join(getattr(error, "valid_methods", None) or ())
        return f"{method} is not allowed on {path}; allowed: {allowed}"
    if error.code == 413:
        limit = request.max_content_length
        return f"the request body is over the limit of {limit} bytes (MAX_CONTENT_LENGTH)"
    if error.code == 415:
        return f"the Content-Type {request.mimetype!r} is not accepted by {method} {path}"
    return f"{error.name}: the request could not be served"


def _http_error(error: HTTPException) -> Response:
    response = error.get_response()  # keeps headers such as Allow on 405
    details = {"limit_bytes": request.max_content_length} if error.code == 413 else None
    body = error_response(error.code or 500, _slug(error.name), _framework_message(error), details)
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
    app.request_class = ServiceRequest
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(ValidationError, _validation_error)
    app.register_error_handler(JobNotFoundError, _not_found)
    app.register_error_handler(JobExpiredError, _expired)
    app.register_error_handler(ResultNotReadyError, _not_ready)
    app.register_error_handler(IdempotencyConflictError, _idempotency_conflict)
    app.register_error_handler(ReplicationTimeoutError, _replication_timeout)
    # Imported here: the optimize package imports this module for its views.
    from webapp.api.refusals import SubmitRefusedError

    app.register_error_handler(SubmitRefusedError, _refused)
    app.register_error_handler(SlateFileError, _bad_slate_file)
    app.register_error_handler(SlateNotFoundError, _slate_not_found)
    app.register_error_handler(Neo4jUnavailableError, _neo4j_down)
    app.register_error_handler(redis.RedisError, _redis_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
