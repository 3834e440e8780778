"""One access line per request: status, duration and response size, with the request's ids.

Written by the app rather than gunicorn so the line carries request_id (and user_id). It is the
one line every request writes, so it skips structlog's processor chain: the fields come from
the request and `g` (where correlation.py put the ids), the dict is rendered by orjson and
the line goes to the same LineWriter as every other line, in the same shape (`timestamp`,
`level`, `logger`, `event`, then the request's fields).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import orjson
from flask import Flask, Response, g, request

EXTENSION_KEY = "webapp.observability.access_log"
LOGGER_NAME = "webapp.access"
EVENT = "request_finished"

# Orchestrator probes: kept out of the access log unless ACCESS_LOG_PROBES is on.
PROBE_PATHS = frozenset({"/health", "/ready"})


class AccessLog:
    """Renders the access line of a finished request and hands it to `write`."""

    def __init__(self, write: Callable[[str], None], *, include_probes: bool) -> None:
        self.write = write
        self.include_probes = include_probes

    def __call__(self, response: Response) -> Response:
        """The after_request hook: log `response`, return it unchanged."""
        path = request.path
        if path in PROBE_PATHS and not self.include_probes:
            return response
        started = g.get("request_started")
        line = {
            # The same format as structlog's TimeStamper(fmt="iso", utc=True) on other lines.
            "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "level": "info",
            "logger": LOGGER_NAME,
            "event": EVENT,
            "request_id": g.get("correlation_id"),
            "method": request.method,
            "path": path,
        }
        user_id = g.get("user_id")
        if user_id:
            line["user_id"] = user_id
        line["status"] = response.status_code
        line["duration_ms"] = round((time.perf_counter() - started) * 1000, 2) if started else None
        line["response_bytes"] = response.calculate_content_length()
        line["remote_addr"] = request.remote_addr
        self.write(orjson.dumps(line, default=repr).decode())
        return response


def init_app(app: Flask, write: Callable[[str], None], *, include_probes: bool) -> AccessLog:
    """Log every finished request (after the correlation id is bound) through `write`."""
    access_log = AccessLog(write, include_probes=include_probes)
    app.extensions[EXTENSION_KEY] = access_log
    app.after_request(access_log)
    return access_log


def get_access_log(app: Flask) -> AccessLog | None:
    """The app's access log, or None when ACCESS_LOG is off (or the level is above INFO)."""
    return app.extensions.get(EXTENSION_KEY)
