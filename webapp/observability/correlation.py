"""Correlation ids: accept a well-formed X-Correlation-ID or mint a ULID, bind it, echo it."""

from __future__ import annotations

import re
import time

import structlog
from flask import Flask, Response, g, request

from webapp.ids import new_ulid

HEADER = "X-Correlation-ID"
# A ULID, or 1-64 characters from a conservative set: nothing that can break a log line.
_WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{1,64}")


def new_correlation_id() -> str:
    """A fresh ULID string."""
    return new_ulid()


def accept_or_mint(raw: str | None) -> tuple[str, int | None]:
    """The id to use for a request, and the length of a rejected header (None if none rejected)."""
    if raw is None:
        return new_correlation_id(), None
    if _WELL_FORMED.fullmatch(raw):
        return raw, None
    return new_correlation_id(), len(raw)


def _bind_request_context(user_id_header: str) -> None:
    correlation_id, rejected_length = accept_or_mint(request.headers.get(HEADER))
    g.correlation_id = correlation_id
    g.request_started = time.perf_counter()
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(
        request_id=correlation_id, method=request.method, path=request.path
    )
    if user_id_header:
        user_id = request.headers.get(user_id_header)
        if user_id and _WELL_FORMED.fullmatch(user_id):
            g.user_id = user_id
            structlog.contextvars.bind_contextvars(user_id=user_id)
    if rejected_length is not None:
        # The raw value is not logged: it may carry newlines or control characters.
        structlog.get_logger(__name__).info(
            "correlation_id_rejected", rejected_length=rejected_length
        )


def _echo(response: Response) -> Response:
    correlation_id = g.get("correlation_id")
    if correlation_id:
        response.headers[HEADER] = correlation_id
    return response


def current_correlation_id() -> str | None:
    """The id bound to the current request, if any."""
    return g.get("correlation_id")


def current_user_id() -> str | None:
    """The user id from the trusted upstream header, if configured and present."""
    return g.get("user_id")


def init_app(app: Flask, *, user_id_header: str = "") -> None:
    """Bind a correlation id at the start of every request and echo it on every response."""
    app.before_request(lambda: _bind_request_context(user_id_header))
    app.after_request(_echo)
    app.teardown_request(lambda _exc: structlog.contextvars.clear_contextvars())
