"""Sentinel failover under load: real gunicorn on a redis+sentinel:// URL, the primary killed
(kill -9) while a client submits. Every job that got a 202 completes, no submit gets a 500,
and /ready names the new primary."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import redis
import requests

from tests.conftest import SHARED_REDIS_URL, close_app, valid_players
from tests.support.gunicorn_server import GunicornServer
from tests.support.kinds import scripted_kinds
from tests.support.sentinel_set import SentinelSet
from tests.support.waiting import wait_until
from webapp import create_app, drain

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# Submits run this long before the kill and after the new primary is in /ready.
SUBMIT_BEFORE_S = 1.5
SUBMIT_AFTER_S = 2.0
SUBMIT_INTERVAL_S = 0.05


@pytest.fixture
def sentinel_set(tmp_path: Path) -> Iterator[SentinelSet]:
    started = SentinelSet(tmp_path / "sentinel-set")
    (tmp_path / "sentinel-set").mkdir()
    try:
        yield started.start()
    finally:
        started.stop()


class Submitter(threading.Thread):
    """Submits noop-ish jobs until stopped; records every status code and the accepted ids."""

    def __init__(self, base: str) -> None:
        super().__init__(name="test-submitter", daemon=True)
        self.base = base
        self.codes: list[int] = []
        self.accepted: list[str] = []
        self.stop_event = threading.Event()

    def run(self) -> None:
        body = {"slate_id": "sleep:0.1", "players": valid_players(), "n_scenarios": 0}
        while not self.stop_event.is_set():
            try:
                response = requests.post(f"{self.base}/optimize", json=body, timeout=15)
            except requests.RequestException:
                self.codes.append(0)
                continue
            self.codes.append(response.status_code)
            if response.status_code == 202:
                self.accepted.append(response.json()["run_id"])
            self.stop_event.wait(SUBMIT_INTERVAL_S)


def _status(base: str, run_id: str) -> str:
    try:
        response = requests.get(f"{base}/optimize/{run_id}", timeout=5)
    except requests.RequestException:
        return "unreachable"
    return response.json().get("status", str(response.status_code))


def _ready_primary(base: str) -> str | None:
    try:
        checks = requests.get(f"{base}/ready", timeout=5).json()["checks"]
    except (requests.RequestException, ValueError, KeyError):
        return None
    return checks.get("redis:replication", [{}])[0].get("primary")


def test_failover_loses_no_accepted_job(
    sentinel_set: SentinelSet,
    start_gunicorn: Callable[..., GunicornServer],
    settings,
    real_redis: redis.Redis,
    record_property: Callable[[str, object], None],
) -> None:
    """kill -9 of the primary mid-load: 202s all complete, no 500, /ready follows, and so do
    the operator commands (one connected before the kill, and the drain helper)."""
    prefix = settings.redis_key_prefix
    server = start_gunicorn(
        {
            "REDIS_URL": sentinel_set.url,
            "REDIS_KEY_PREFIX": prefix,
            "TEST_COUNTER_REDIS_URL": SHARED_REDIS_URL,
            "JOB_LEASE_SECONDS": "2",
            "RECOVERY_SCAN_SECONDS": "0.5",
            "REDIS_SOCKET_TIMEOUT": "2",
            "REDIS_CONNECT_TIMEOUT": "1",
            "READY_CHECK_TIMEOUT": "2",
            "READY_CACHE_SECONDS": "0",
        },
        workers=2,
    )
    old_port = sentinel_set.primary_port()
    assert _ready_primary(server.url) == f"127.0.0.1:{old_port}"
    # The operator CLI, connected to the old primary before the kill.
    cli_settings = replace(settings, redis_url=sentinel_set.url, redis_socket_timeout_s=2.0)
    cli_app = create_app(cli_settings, kinds=scripted_kinds())
    assert cli_app.test_cli_runner().invoke(args=["jobs", "list"]).exit_code == 0

    submitter = Submitter(server.url)
    submitter.start()
    time.sleep(SUBMIT_BEFORE_S)
    killed_at = time.monotonic()
    sentinel_set.kill_primary()
    new_primary = wait_until(
        lambda: (p := _ready_primary(server.url)) not in (None, f"127.0.0.1:{old_port}") and p,
        30,
        interval_s=0.2,
        message="/ready did not follow the failover",
    )
    followed_after_s = time.monotonic() - killed_at
    accepted_before = len(submitter.accepted)
    time.sleep(SUBMIT_AFTER_S)
    submitter.stop_event.set()
    submitter.join(timeout=20)

    accepted = list(submitter.accepted)
    wait_until(
        lambda: all(_status(server.url, run_id) == "complete" for run_id in accepted),
        30,
        interval_s=0.5,
        message="not every accepted job completed",
    )
    starts = [int(real_redis.get(f"{prefix}:test:starts:{r}") or 0) for r in accepted]
    summary = (
        f"failover: /ready followed after {followed_after_s:.1f} s; submits "
        f"{len(submitter.codes)}, 202: {len(accepted)}, 503: {submitter.codes.count(503)}, "
        f"no answer: {submitter.codes.count(0)}; jobs started more than once: "
        f"{sum(1 for n in starts if n > 1)}"
    )
    record_property("failover", summary)
    shown = cli_app.test_cli_runner().invoke(args=["jobs", "show", accepted[0]])
    close_app(cli_app)
    assert shown.exit_code == 0 and '"status": "complete"' in shown.output, shown.output
    assert drain._running_here(cli_settings) == 0
    assert 500 not in submitter.codes, summary
    assert set(submitter.codes) <= {202, 503}, summary
    assert new_primary == f"127.0.0.1:{sentinel_set.primary_port()}"
    assert len(accepted) > accepted_before > 0, "submits must succeed before and after"
