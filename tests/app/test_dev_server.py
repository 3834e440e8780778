"""`flask run` (Werkzeug's development server) runs jobs as gunicorn does."""

from __future__ import annotations

from flask import Flask

from webapp.jobs.extension import get_jobs


def test_first_request_under_werkzeug_starts_the_job_threads(app: Flask) -> None:
    """The development server's first request starts this process's runner."""
    runner = get_jobs(app).runner
    assert not runner.is_accepting

    app.test_client().get("/health", environ_base={"SERVER_SOFTWARE": "Werkzeug/3.1.3"})

    assert runner.is_accepting


def test_other_servers_leave_the_runner_to_their_hooks(app: Flask) -> None:
    """Under gunicorn (or the test client) the runner is started by the server's hook only."""
    app.test_client().get("/health", environ_base={"SERVER_SOFTWARE": "gunicorn/23.0.0"})

    assert not get_jobs(app).runner.is_accepting
