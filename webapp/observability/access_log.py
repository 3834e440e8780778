"""One access line per request: status, duration and response size, with the request's ids.

Written by the app rather than gunicorn so the line carries request_id (and user_id), which
correlation.py binds to the request's log context. It is a structlog event like any other,
rendered by the same pipeline.
"""

from __future__ import annotations

import time

import structlog
from flask import Flask, Response, g, request

from webapp.extensions import Key

LOGGER_NAME = "webapp.access"
EVENT = "request_finished"

# Orchestrator probes: kept out of the access log unless ACCESS_LOG_PROBES is on.
PROBE_PATHS = frozenset({"/health", "/ready"})

log = structlog.get_logger(LOGGER_NAME)


class AccessLog:
    """Logs the access line of a finished request."""

    def __init__(self, *, include_probes: bool) -> None:
        self.include_probes = include_probes

    def __call__(self, response: Response) -> Response:
        """The after_request hook: log `response`, return it unchanged."""
        path = request.path
        if path in PROBE_PATHS and not self.include_probes:
            return response
        started = g.get("request_started")
        log.info(  # method and path come from the request's context (correlation.py)
            EVENT,
            status=response.status_code,
            duration_ms=round((time.perf_counter() - started) * 1000, 2) if started else None,
            response_bytes=response.calculate_content_length(),
            remote_addr=request.remote_addr,
        )
        return response


# Absent when ACCESS_LOG is off (or the level is above INFO).
ACCESS_LOG: Key[AccessLog] = Key("webapp.observability.access_log", "access_log.init_app")


def init_app(app: Flask, *, include_probes: bool) -> AccessLog:
    """Log every finished request (after the correlation id is bound)."""
    access_log = ACCESS_LOG.register(app, AccessLog(include_probes=include_probes))
    app.after_request(access_log)
    return access_log
