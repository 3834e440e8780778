"""A Redis password in REDIS_URL never reaches a response or a log line, Redis down or not."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from tests.conftest import close_app, valid_players
from tests.support.kinds import scripted_kinds
from tests.support.processes import free_port
from tests.support.waiting import wait_until
from webapp import create_app
from webapp.config import Settings

SECRET = "pw-Leak-7c1e"
URLS = [
    f"redis://127.0.0.1:{{port}}/0?password={SECRET}",
    f"redis://default:{SECRET}@127.0.0.1:{{port}}/0",
    f"redis://default:{SECRET}'s@127.0.0.1:{{port}}/0",  # a quote is legal in userinfo
    f"redis+sentinel://:{SECRET}@127.0.0.1:{{port}}/mymaster/0",
]


@pytest.fixture(params=URLS, ids=["query", "userinfo", "quote", "sentinel"])
def leaky_app(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Flask, Path]:
    """The service with a password in REDIS_URL, pointed at a port nothing listens on."""
    log_file = tmp_path / "app.log"
    settings = Settings(
        testing=True,
        log_file=str(log_file),
        redis_url=request.param.format(port=free_port()),
        redis_key_prefix="leak",
        drain_flag_file=str(tmp_path / "draining"),
        redis_retries=0,
        ready_cache_seconds=0.0,
        ready_check_timeout_s=2.0,
    )
    app = create_app(settings, kinds=scripted_kinds())
    yield app, log_file
    close_app(app)


def test_no_response_or_log_line_carries_the_password(leaky_app: tuple[Flask, Path]) -> None:
    """/ready, a submit and the reads all answer without the password, and so does every log
    line they wrote (access lines and the Redis warnings)."""
    app, log_file = leaky_app
    client = app.test_client()
    run_id = "01M8TJQAM60JHFDE16RY7XERY6"

    responses = [
        client.get("/ready"),
        client.post("/optimize", json={"slate_id": "noop", "players": valid_players()}),
        client.get(f"/optimize/{run_id}"),
        client.get(f"/optimize/{run_id}/result"),
    ]

    assert [r.status_code for r in responses] == [503, 503, 503, 503]
    ready_output = responses[0].json["checks"]["redis:responseTime"][0]["output"]
    assert "***" in ready_output or "127.0.0.1" in ready_output
    for response in responses:
        assert SECRET not in response.get_data(as_text=True)
    lines = wait_until(
        lambda: (text := log_file.read_text()).count('"request_finished"') >= 3 and text, 5
    )
    assert "redis_unavailable" in lines
    assert SECRET not in lines


def test_operator_command_names_the_redis_error_without_the_password(
    leaky_app: tuple[Flask, Path],
) -> None:
    """`jobs list` with Redis down fails with one line naming the error, no traceback, no
    password."""
    app, _ = leaky_app

    result = app.test_cli_runner().invoke(args=["jobs", "list"])

    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert errors and errors[0].startswith("Error: Redis: ") and "Traceback" not in result.output
    assert SECRET not in result.output
