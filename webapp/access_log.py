"""One access line per request: status, duration and response size, with the request's context.

Written by the app rather than gunicorn so the line carries request_id (and user_id) from the
request's bound context, and renders through the same JSON pipeline as every other line.
"""

from __future__ import annotations

import time

import structlog
from flask import Flask, Response, g, request

log = structlog.get_logger("webapp.access")

# Orchestrator probes: kept out of the access log unless ACCESS_LOG_PROBES is on.
PROBE_PATHS = frozenset({"/health", "/ready"})


def _log_access(response: Response, include_probes: bool) -> Response:
    if request.path in PROBE_PATHS and not include_probes:
        return response
    started = g.get("request_started")
    duration_ms = round((time.perf_counter() - started) * 1000, 2) if started else None
    log.info(
        "request_finished",
        status=response.status_code,
        duration_ms=duration_ms,
        response_bytes=response.calculate_content_length(),
        remote_addr=request.remote_addr,
    )
    return response


def init_app(app: Flask, *, include_probes: bool) -> None:
    """Log every finished request (after the correlation id is bound)."""
    app.after_request(lambda response: _log_access(response, include_probes))
