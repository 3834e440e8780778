"""The one place any exception becomes a JSON error response.

Every error answers {"error": {"code": ..., "message": ..., "details": ...}}. Views raise an
ApiError (status and code are class attributes). Exceptions of jobs/, slates/ and the clients
know nothing about HTTP: PROBLEMS says what each becomes, and `render` writes every response.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import IO, Any, NamedTuple

import redis
import structlog
from flask import Flask, Request, Response, current_app, jsonify, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream, get_input_stream

from webapp.clients.neo4j_client import Neo4jUnavailableError
from webapp.contest.slate import ContestRequestError
from webapp.jobs.errors import (
    IdempotencyConflictError,
    JobExpiredError,
    JobNotFoundError,
    LimitReachedError,
    ReplicationTimeoutError,
    ResultNotReadyError,
    is_transient_redis_error,
)
from webapp.jobs.states import JobStatus
from webapp.lineups.refusals import SubmitRefusedError
from webapp.observability.metrics.hooks import record_redis_error, record_submit_limited
from webapp.redaction import redact
from webapp.slates.importer import PlayerBoundsError, SlateFileError, TooManyPlayersError
from webapp.slates.neo4j_slates import SlateNotFoundError
from webapp.slates.projections import ProjectionsFileError

log = structlog.get_logger(__name__)

# Seconds a client is told to wait after a Redis error or an unconfirmed submit.
REDIS_RETRY_AFTER_S = 5
NEO4J_RETRY_AFTER_S = 5
REPLICATION_RETRY_AFTER_S = 1


class ApiError(Exception):
    """An error with an HTTP status and a stable machine-readable code."""

    status = 500
    code = "internal_error"

    def __init_subclass__(cls, status: int | None = None, code: str | None = None) -> None:
        super().__init_subclass__()
        cls.status = status or cls.status
        cls.code = code or cls.code

    def __init__(
        self, message: str, *, details: Any = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers or {}


class BadRequest(ApiError, status=400, code="bad_request"):
    """The request cannot be read as asked (bad id, query value or header)."""


class InvalidRequest(ApiError, status=400, code="invalid_request"):
    """A query parameter breaks a rule of the request (details by field, as for a body)."""


class MalformedJson(ApiError, status=400, code="malformed_json"):
    """The body is not JSON."""


class Unauthorized(ApiError, status=401, code="unauthorized"):
    """No valid credentials: the same answer for a missing key and a wrong one."""

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"WWW-Authenticate": "Bearer"})


class JobFinished(ApiError, status=409, code="job_finished"):
    """The job has ended, so it can no longer be changed."""


class UnsupportedMediaType(ApiError, status=415, code="unsupported_media_type"):
    """The body is not sent as application/json."""


class Refused(ApiError, status=422):
    """A request that can never succeed; `code` names the rule it breaks."""

    def __init__(self, code: str, message: str, *, details: Any = None) -> None:
        super().__init__(message, details=details)
        self.code = code


class Unavailable(ApiError, status=503, code="unavailable"):
    """A dependency cannot answer now; the client may retry."""


class Problem(NamedTuple):
    """What one error response says."""

    status: int
    code: str
    message: str
    details: Any = None
    headers: Iterable[tuple[str, str]] = ()


def _retry_after(seconds: int) -> tuple[tuple[str, str], ...]:
    return (("Retry-After", str(seconds)),)


def _not_ready(error: ResultNotReadyError) -> Problem:
    record = error.record
    details = {
        "status": str(record.status),
        "progress": record.progress,
        "error": record.error,
        "error_code": record.error_code,
    }
    if record.status is JobStatus.FAILED:
        # A failed job will never have a result: its own code, so clients stop waiting.
        return Problem(409, "job_failed", f"job {record.run_id} failed: {record.error}", details)
    message = f"job {record.run_id} is {record.status}; its result is not ready"
    return Problem(409, "result_not_ready", message, details)


def _refused(error: SubmitRefusedError) -> Problem:
    first, more = error.refusals[0], len(error.refusals) - 1
    message = first.message + (f" (and {more} more: see details)" if more else "")
    details = {"refusals": [refusal.to_dict() for refusal in error.refusals]}
    return Problem(422, first.code, message, details)


def _neo4j_down(error: Neo4jUnavailableError) -> Problem:
    log.warning("neo4j_unavailable", error=str(error))
    message = "the slate store (Neo4j) is unreachable; try again shortly"
    return Problem(503, "slate_store_unavailable", message, None, _retry_after(NEO4J_RETRY_AFTER_S))


def _redis_error(error: redis.RedisError) -> Problem:
    record_redis_error(current_app)
    if not is_transient_redis_error(error):
        return _unexpected(error)
    log.warning("redis_unavailable", error_type=type(error).__name__, error=redact(error))
    message = "the job store cannot take this request right now; try again shortly"
    return Problem(503, "redis_unavailable", message, None, _retry_after(REDIS_RETRY_AFTER_S))


def _replication_timeout(error: ReplicationTimeoutError) -> Problem:
    log.warning("submit_not_replicated", reason=str(error))
    message = (
        "the job could not be confirmed on enough Redis replicas and was not accepted; "
        "retry with the same Idempotency-Key"
    )
    details = {"replicas_confirmed": error.acked, "replicas_required": error.wait.replicas}
    headers = _retry_after(REPLICATION_RETRY_AFTER_S)
    return Problem(503, "replication_timeout", message, details, headers)


def _limit_reached(error: LimitReachedError) -> Problem:
    log.info("submit_limited", tenant=error.tenant, limit=error.limit)
    record_submit_limited(current_app, error.tenant, error.limit)
    message = f"this tenant is at its {error.limit} limit; nothing was stored, try again later"
    details = {"limit": error.limit, "retry_after_s": error.retry_after_s}
    return Problem(429, "limit_reached", message, details, _retry_after(error.retry_after_s))


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


def _http_error(error: HTTPException) -> Problem:
    # Werkzeug's own response carries headers such as Allow on 405 and Retry-After on 429/503.
    headers = [
        (name, value)
        for name, value in error.get_response().headers.items()
        if name.lower() not in {"content-type", "content-length"}
    ]
    details = {"limit_bytes": request.max_content_length} if error.code == 413 else None
    code = error.name.lower().replace(" ", "_").replace("'", "")
    return Problem(error.code or 500, code, _framework_message(error), details, headers)


def _unexpected(error: Exception) -> Problem:
    log.error(
        "unhandled_error", error_type=type(error).__name__, error=redact(error), exc_info=True
    )
    return Problem(500, "internal_error", "an unexpected error occurred")


# Exception class -> the response it becomes. An exception takes the entry of the nearest class
# in its MRO: Neo4jUnavailableError (a TransientJobError) has its own, anything unlisted is a 500.
PROBLEMS: dict[type[Exception], Callable[[Any], Problem]] = {
    ApiError: lambda e: Problem(e.status, e.code, e.message, e.details, e.headers.items()),
    ValidationError: lambda e: Problem(
        400, "invalid_request", "the request body is invalid", e.messages
    ),
    SlateFileError: lambda e: Problem(
        400, "invalid_slate_file", str(e), {"line": e.line, "column": e.column}
    ),
    ProjectionsFileError: lambda e: Problem(
        400, "invalid_projections_file", str(e), {"line": e.line, "column": e.column}
    ),
    TooManyPlayersError: lambda e: Problem(
        413, "too_many_players", str(e), {"line": e.line, "column": None, "limit": e.limit}
    ),
    PlayerBoundsError: lambda e: Problem(
        422, "invalid_player", str(e), {"line": e.line, "column": e.column}
    ),
    JobNotFoundError: lambda e: Problem(404, "not_found", f"no job with run_id {e.args[0]}"),
    SlateNotFoundError: lambda e: Problem(404, "slate_not_found", str(e)),
    ResultNotReadyError: _not_ready,
    JobExpiredError: lambda e: Problem(
        410, "expired", f"job {e.args[0]} has expired", {"status": "expired"}
    ),
    IdempotencyConflictError: lambda e: Problem(422, "idempotency_key_reused", str(e)),
    SubmitRefusedError: _refused,
    ContestRequestError: lambda e: Problem(422, e.code, str(e), e.details),
    Neo4jUnavailableError: _neo4j_down,
    ReplicationTimeoutError: _replication_timeout,
    LimitReachedError: _limit_reached,
    redis.RedisError: _redis_error,
    HTTPException: _http_error,
    Exception: _unexpected,
}


def problem_for(error: Exception) -> Problem:
    """What `error` answers: the PROBLEMS entry of the nearest class in its MRO."""
    cls = next(cls for cls in type(error).__mro__ if cls in PROBLEMS)
    return PROBLEMS[cls](error)


def render(problem: Problem) -> Response:
    """The JSON error envelope, with the problem's status and headers."""
    body = {"error": {"code": problem.code, "message": problem.message, "details": problem.details}}
    response = jsonify(body)
    response.status_code = problem.status
    response.headers.extend(problem.headers)
    return response


def _handle(error: Exception) -> Response:
    return render(problem_for(error))


class TerminatedBody(LimitedStream):
    """A body the server ends itself (chunked: gunicorn sets `wsgi.input_terminated`), read up
    to MAX_CONTENT_LENGTH.

    Werkzeug's stream stops at the limit and returns what it read, so a chunked body over it
    reached the views cut (a slate short of players, JSON cut mid-value): here more data after
    the limit is a 413, as with a Content-Length over it. A body the server cannot decode (a
    chunk size that is not hexadecimal) is the client's error, a 400, not a 500."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        super().__init__(stream, limit, is_max=True)
        self._server_stream = stream

    def readall(self) -> bytes:
        data = super().readall()
        if self.is_exhausted:
            try:
                more = self._server_stream.read(1)
            except Exception as error:
                raise _unreadable(error) from None
            if more:
                raise RequestEntityTooLarge()
        return data

    def readinto(self, buffer: Any) -> int | None:
        try:
            return super().readinto(buffer)
        except HTTPException:  # 413 past the limit, 400 when the client went away
            raise
        except Exception as error:
            raise _unreadable(error) from None


def _unreadable(error: Exception) -> BadRequest:
    """What the server's failure to decode a body (gunicorn's InvalidChunkSize, ...) answers."""
    return BadRequest(f"the request body could not be read: {str(error)[:200]}")


class ServiceRequest(Request):
    """Flask's request, whose JSON failures raise this service's errors, not Werkzeug's text,
    and whose body keeps MAX_CONTENT_LENGTH however it is sent."""

    @cached_property
    def stream(self) -> IO[bytes]:
        """The body, as Werkzeug's `stream` reads it, except a server-terminated one (chunked),
        which is a TerminatedBody."""
        if self.shallow:
            raise RuntimeError("a shallow request does not read its body")
        limit = self.max_content_length
        terminated = "wsgi.input_terminated" in self.environ
        if limit is not None and self.content_length is None and terminated:
            return TerminatedBody(self.environ["wsgi.input"], limit)
        return get_input_stream(self.environ, max_content_length=limit)

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


def register_error_handlers(app: Flask) -> None:
    """Send every exception a view raises through PROBLEMS and `render`."""
    app.request_class = ServiceRequest
    app.register_error_handler(Exception, _handle)
