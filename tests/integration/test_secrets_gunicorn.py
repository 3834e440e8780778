"""A Redis password in REDIS_URL appears in no response and no log line of a real gunicorn run,
with Redis down, and not in the start-up error of a malformed URL either."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests

from tests.conftest import valid_players
from tests.support.gunicorn_server import GunicornServer
from tests.support.processes import free_port

pytestmark = pytest.mark.integration

SECRET = "pw-Leak-51d0"


def test_redis_down_leaks_no_password(start_gunicorn: Callable[..., GunicornServer]) -> None:
    """The form redis-py documents for sockets (?password=): /ready 503, submit 503, reads 503;
    none of the bodies nor any log line holds the password."""
    url = f"redis://127.0.0.1:{free_port()}/0?password={SECRET}"
    server = start_gunicorn(
        {"REDIS_URL": url, "READY_CACHE_SECONDS": "0", "REDIS_RETRIES": "0"}, wait=False
    )
    server.ready_event = None
    server.start()
    body = {"slate_id": "noop", "players": valid_players(), "n_scenarios": 0}
    run_id = "01M8TJQAM60JHFDE16RY7XERY6"

    responses = [
        requests.get(f"{server.url}/ready", timeout=10),
        requests.post(f"{server.url}/optimize", json=body, timeout=10),
        requests.get(f"{server.url}/optimize/{run_id}", timeout=10),
    ]
    server.wait_for_log("redis_unavailable", timeout_s=5)
    server.stop()

    assert [r.status_code for r in responses] == [503, 503, 503]
    assert "***" in responses[0].text
    assert all(SECRET not in r.text for r in responses)
    lines = server.log_text().splitlines()
    assert len(lines) > 3
    assert [line for line in lines if SECRET in line] == []


def test_malformed_url_error_leaks_no_password(
    start_gunicorn: Callable[..., GunicornServer],
) -> None:
    """reddis://:password@host/0: the service refuses to start, naming REDIS_URL, without
    echoing the password."""
    server = start_gunicorn({"REDIS_URL": f"reddis://:{SECRET}@127.0.0.1/0"}, wait=False)
    server.ready_event = None
    with pytest.raises(AssertionError, match=r"exited early|did not start"):
        server.start(timeout_s=15)

    log = server.log_text()
    assert "REDIS_URL" in log and "reddis://:***@" in log
    assert SECRET not in log
