"""Operator tools that work as written: healthcheck output, drain paths, log format, job size."""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from webapp import healthcheck
from webapp.config import Settings
from webapp.jobs.events import job_size
from webapp.observability.logs import wants_console
from webapp.runtime import paths
from webapp.runtime.redis_choice import RedisChoiceError, chosen_redis

ROOT = Path(__file__).resolve().parents[2]


class _Answer(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        body = b'{"status": "pass"}'
        self.send_response(self.status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[http.server.HTTPServer]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_healthcheck_help_explains_itself() -> None:
    """`python -m webapp.healthcheck --help` prints usage and exits 0."""
    done = subprocess.run(
        [sys.executable, "-m", "webapp.healthcheck", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=30,
    )
    assert done.returncode == 0 and "/health" in done.stdout and "--timeout" in done.stdout


def test_healthcheck_prints_the_answer(health_server, capsys: pytest.CaptureFixture) -> None:
    """A 200 prints `healthy` with the status and the body, exit 0."""
    url = f"http://127.0.0.1:{health_server.server_port}/health"

    assert healthcheck.main([url]) == 0
    out = capsys.readouterr().out
    assert out.startswith("healthy: GET " + url) and "HTTP 200" in out and "pass" in out


def test_healthcheck_prints_a_refused_connection(capsys: pytest.CaptureFixture) -> None:
    """No server: `unhealthy ... no answer` with the reason on stderr, exit 1."""
    from tests.support.processes import free_port

    assert healthcheck.main([f"http://127.0.0.1:{free_port()}/health", "--timeout", "1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("unhealthy:") and "no answer" in err and "refused" in err.lower()


def test_healthcheck_prints_an_error_status(health_server, capsys, monkeypatch) -> None:
    """A 503 is unhealthy and shows the status."""
    monkeypatch.setattr(_Answer, "status", 503)
    url = f"http://127.0.0.1:{health_server.server_port}/health"

    assert healthcheck.main([url]) == 1
    assert "HTTP 503" in capsys.readouterr().err


def test_relative_paths_resolve_against_the_project_root() -> None:
    """A relative DRAIN_FLAG_FILE names one file wherever the command runs."""
    assert paths.resolve("var/run/draining") == ROOT / "var/run/draining"
    assert paths.resolve("/tmp/x") == Path("/tmp/x")


def test_drain_from_another_directory_sets_the_services_flag(tmp_path: Path) -> None:
    """`python -m webapp.drain` run outside the repository writes the flag the service watches."""
    from webapp.runtime.lifecycle import DrainFlag

    relative = f"var/test-drain-{tmp_path.name}"
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "DRAIN_FLAG_FILE": relative}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "webapp.drain"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            timeout=30,
        )
        assert done.returncode == 0, done.stderr
        assert f"flag set at {ROOT / relative}" in done.stdout
        assert DrainFlag(relative).is_set()
        assert not (tmp_path / relative).exists()
    finally:
        (ROOT / relative).unlink(missing_ok=True)


def test_cli_redis_choice_needs_redis_url() -> None:
    """Outside tests, no REDIS_URL means no guess; with it, the URL is shown without password."""
    settings = Settings(redis_url="redis://:secret@db.example:6380/2")

    with pytest.raises(RedisChoiceError, match="REDIS_URL is not set"):
        chosen_redis(settings, {})
    shown = chosen_redis(settings, {"REDIS_URL": settings.redis_url})
    assert "secret" not in shown and "db.example:6380/2" in shown


@pytest.mark.parametrize(
    ("log_format", "tty", "console"),
    [("json", True, False), ("console", False, True), ("auto", True, True), ("auto", False, False)],
)
def test_log_format_choice(monkeypatch, log_format: str, tty: bool, console: bool) -> None:
    """LOG_FORMAT=auto renders for humans on a terminal and JSON elsewhere."""
    monkeypatch.setattr(sys.stdout, "isatty", lambda: tty)
    assert wants_console(log_format) is console


def test_job_size_names_players_lineups_scenarios() -> None:
    """Job lines carry the job's size from its metadata."""
    size = job_size({"n_players": 456, "n_lineups": 150, "n_scenarios": 1000, "sport": "nfl"})
    assert size == {"players": 456, "lineups": 150, "scenarios": 1000}
