"""A submit that Redis cannot confirm on enough replicas (REDIS_MIN_REPLICAS with none in sync).

The client gets 202 only for a job that exists and that the replicas hold: never for a job that
was withdrawn, that vanished before its withdraw, or that another request is still confirming;
and no process runs a job before its submit is confirmed. Each test runs the service in this
process against a private redis-server that has no replica, so every WAIT times out.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
import redis
from flask import Flask
from werkzeug.test import TestResponse

from tests.conftest import valid_players
from tests.support.fault_summary import FaultReport
from tests.support.jobs_view import counts
from tests.support.redis_server import RedisServer
from tests.support.tcp_proxy import TcpProxy
from tests.support.waiting import wait_until
from webapp.config import Settings
from webapp.jobs import scripts
from webapp.jobs.extension import get_jobs
from webapp.jobs.keys import Keys

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BODY = {"slate_id": "noop", "players": valid_players(), "n_scenarios": 0}
# Every submit WAITs for one replica; the servers here have none.
UNREPLICATED = {"redis_min_replicas": 1, "job_workers": 1}


def _post(app: Flask, key: str | None = None) -> TestResponse:
    headers = {"Idempotency-Key": key} if key else {}
    return app.test_client().post("/optimize", json=BODY, headers=headers)


def _accepted(responses: list[TestResponse]) -> list[str]:
    return [r.get_json()["run_id"] for r in responses if r.status_code == 202]


def _job_keys(server: RedisServer, prefix: str) -> list[bytes]:
    return list(server.client().scan_iter(f"{Keys(prefix).job_prefix}*"))


def test_an_idle_instance_does_not_run_an_unconfirmed_job(
    start_redis_server: Callable[..., RedisServer],
    make_service: Callable[..., Flask],
    real_redis: redis.Redis,
    settings: Settings,
    fault_report: FaultReport,
) -> None:
    """An idle runner waits for work while a submit waits for a replica that is not there: the
    submit answers 503, and the job neither runs nor stays behind."""
    server = start_redis_server(appendonly=False)
    prefix = settings.redis_key_prefix
    app = make_service(redis_url=server.url, redis_wait_timeout_ms=800, **UNREPLICATED)
    responses: list[TestResponse] = []
    accepted: list[str] = []
    fault_report.watch(server.client(), real_redis, prefix, accepted)
    get_jobs(app).runner.start()
    time.sleep(0.3)  # the dispatcher is blocked waiting for a wake-up

    responses.append(_post(app))
    accepted += _accepted(responses)
    time.sleep(1.0)  # a job claimed during the submit's WAIT has run by now

    assert [r.status_code for r in responses] == [503], responses[0].get_data(as_text=True)
    assert not list(real_redis.scan_iter(f"{prefix}:test:starts:*")), "the job ran"
    assert _job_keys(server, prefix) == []


def test_a_withdraw_whose_reply_was_lost_answers_503(
    start_redis_server: Callable[..., RedisServer],
    make_proxy: Callable[[int], TcpProxy],
    make_service: Callable[..., Flask],
    real_redis: redis.Redis,
    settings: Settings,
    fault_report: FaultReport,
) -> None:
    """The withdraw of an unconfirmed job runs but its reply is lost; redis-py sends it again,
    and that finds no record: the job is not there, so the client gets 503, not 202."""
    server = start_redis_server(appendonly=False)
    proxy = make_proxy(server.port)
    prefix = settings.redis_key_prefix
    app = make_service(redis_url=proxy.url(), redis_wait_timeout_ms=100, **UNREPLICATED)
    accepted: list[str] = []
    fault_report.watch(server.client(), real_redis, prefix, accepted)
    assert _post(app).status_code == 503  # loads the scripts, so the next withdraw runs at once
    proxy.drop_reply_to(_withdraw_sha(app).encode())

    response = _post(app)
    accepted += _accepted([response])

    assert proxy.dropped.is_set(), "the withdraw's reply was not lost"
    assert response.status_code == 503, response.get_data(as_text=True)
    assert _job_keys(server, prefix) == []


def test_a_job_that_vanished_before_its_withdraw_is_not_accepted(
    start_redis_server: Callable[..., RedisServer],
    make_service: Callable[..., Flask],
    real_redis: redis.Redis,
    settings: Settings,
    fault_report: FaultReport,
) -> None:
    """The record is gone when the withdraw runs (as on a promoted replica that never had it):
    the client gets 503, not a 202 for a run id that answers 404."""
    server = start_redis_server(appendonly=False)
    prefix = settings.redis_key_prefix
    app = make_service(redis_url=server.url, redis_wait_timeout_ms=1000, **UNREPLICATED)
    accepted: list[str] = []
    fault_report.watch(server.client(), real_redis, prefix, accepted)
    vanisher = threading.Thread(target=_delete_first_job, args=(server, prefix), daemon=True)
    vanisher.start()

    response = _post(app)
    vanisher.join(timeout=5)
    accepted += _accepted([response])

    assert response.status_code == 503, response.get_data(as_text=True)


def test_a_replay_during_an_unconfirmed_submit_is_not_accepted(
    start_redis_server: Callable[..., RedisServer],
    make_service: Callable[..., Flask],
    real_redis: redis.Redis,
    settings: Settings,
    fault_report: FaultReport,
) -> None:
    """A retry with the same Idempotency-Key arrives while the first request still waits for a
    replica: neither gets 202 for the job that is then withdrawn, and every 202 given names a
    job that GET finds."""
    server = start_redis_server(appendonly=False)
    prefix = settings.redis_key_prefix
    app = make_service(redis_url=server.url, redis_wait_timeout_ms=1500, **UNREPLICATED)
    responses: list[TestResponse] = []
    accepted: list[str] = []
    fault_report.watch(server.client(), real_redis, prefix, accepted)
    first = threading.Thread(target=lambda: responses.append(_post(app, key="order-7")))
    first.start()
    wait_until(lambda: _job_keys(server, prefix), 5, message="the first submit wrote no job")

    responses.append(_post(app, key="order-7"))
    first.join(timeout=10)
    accepted += _accepted(responses)

    found = [app.test_client().get(f"/optimize/{run_id}").status_code for run_id in accepted]
    assert sorted(r.status_code for r in responses) == [503, 503], [
        (r.status_code, r.get_json()) for r in responses
    ]
    assert found == [200] * len(accepted)
    assert counts(real_redis, prefix, "starts", accepted) == [0] * len(accepted)


def _withdraw_sha(app: Flask) -> str:
    """The SHA1 the store runs its withdraw script by (EVALSHA names it in the request)."""
    return get_jobs(app).store()._scripts[scripts.WITHDRAW.name].sha


def _delete_first_job(server: RedisServer, prefix: str) -> None:
    """Delete the first job record that appears (within 5 s)."""
    client = server.client()
    keys = wait_until(lambda: _job_keys(server, prefix), 5, interval_s=0.01)
    client.delete(*keys)
