"""`flask --app webapp run` runs jobs as gunicorn does.

gunicorn starts each worker's job threads in its post_worker_init hook; Flask's development
server has no such hook, so without this a job it accepted would wait in the queue forever. The
first request the development server (Werkzeug) hands the app starts the job threads of that
process; under gunicorn and in tests (no SERVER_SOFTWARE from Werkzeug) nothing happens.
"""

from __future__ import annotations

import threading

import structlog
from flask import Flask, request

from webapp.runtime import lifecycle

log = structlog.get_logger(__name__)


class DevServerJobs:
    """Starts the job runner once, on the first request served by Werkzeug."""

    def __init__(self, app: Flask) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._done = False

    def __call__(self) -> None:
        """before_request hook: a flag check on every request after the first."""
        if self._done:
            return
        with self._lock:
            if self._done:
                return
            self._done = True
            if str(request.environ.get("SERVER_SOFTWARE", "")).startswith("Werkzeug/"):
                lifecycle.start(self._app)
                log.info("dev_server_jobs_started")


def init_app(app: Flask) -> None:
    """Start job threads under `flask run` (and only there)."""
    app.before_request(DevServerJobs(app))
