"""A submit is acknowledged only once a replica holds the job (WAIT); otherwise 503 and the job
is withdrawn, so a failover cannot lose a job that got a 202."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import close_app, valid_players
from tests.support.kinds import scripted_kinds
from tests.support.redis_server import RedisServer
from tests.support.waiting import wait_until
from webapp import create_app
from webapp.config import Settings
from webapp.jobs.extension import get_jobs
from webapp.jobs.keys import Keys

pytestmark = pytest.mark.integration

BODY = {"slate_id": "noop", "players": valid_players(), "n_scenarios": 0}
KEYS = Keys("wait")


@pytest.fixture
def pair(start_redis_server: Callable[..., RedisServer]) -> tuple[RedisServer, RedisServer]:
    """A primary and one connected replica."""
    # No 5 s diskless-sync delay before the replica's first sync.
    primary = start_redis_server(appendonly=False, extra_args=("--repl-diskless-sync-delay", "0"))
    replica = start_redis_server(appendonly=False)
    replica.client().replicaof("127.0.0.1", primary.port)
    wait_until(
        lambda: primary.client().info("replication").get("slave0", {}).get("state") == "online",
        10,
        message="replica did not come online",
    )
    return primary, replica


@pytest.fixture
def app_on(tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    built: list[Flask] = []

    def build(server: RedisServer, **overrides: object) -> Flask:
        settings = Settings(
            testing=True,
            log_file="",
            redis_url=server.url,
            redis_key_prefix=KEYS.prefix,
            drain_flag_file=str(tmp_path / "draining"),
            **overrides,  # type: ignore[arg-type]
        )
        app = create_app(settings, kinds=scripted_kinds())
        built.append(app)
        return app

    yield build
    for app in built:
        close_app(app)


class _Frozen:
    """SIGSTOP a redis-server for the duration of a with block."""

    def __init__(self, server: RedisServer) -> None:
        self.pid = server.process.pid

    def __enter__(self) -> None:
        os.kill(self.pid, signal.SIGSTOP)

    def __exit__(self, *exc: object) -> None:
        os.kill(self.pid, signal.SIGCONT)


def _post(client: FlaskClient, key: str | None = None):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post("/optimize", json=BODY, headers=headers)


def test_an_acknowledged_job_is_already_on_the_replica(pair, app_on) -> None:
    """With a replica connected (REDIS_MIN_REPLICAS auto), the 202 comes after the replica
    has the record and the queue entry."""
    primary, replica = pair
    # A generous WAIT: on a busy machine the replica may need more than the default 500 ms.
    response = _post(app_on(primary, redis_wait_timeout_ms=10_000).test_client())

    assert response.status_code == 202, response.get_data(as_text=True)
    run_id = response.json["run_id"]
    assert replica.client().hget(KEYS.job(run_id), "status") == b"pending"
    assert replica.client().zscore(KEYS.pending, run_id) is not None


def test_an_unconfirmed_job_is_withdrawn_and_answered_503(pair, app_on) -> None:
    """Replica frozen: 503 + Retry-After after the WAIT timeout, nothing of the job left on the
    primary; once the replica is back, a retry with the same Idempotency-Key makes a new job."""
    primary, replica = pair
    client = app_on(primary, redis_wait_timeout_ms=300).test_client()
    # Caches the replica count while the replica is up (a busy machine may need a retry).
    wait_until(lambda: _post(client).status_code == 202, 5, interval_s=0.2)
    before = {key for key in primary.client().keys(f"{KEYS.prefix}:*")}

    with _Frozen(replica):
        started = time.monotonic()
        refused = _post(client, key="order-1")
        took = time.monotonic() - started
        left = {key for key in primary.client().keys(f"{KEYS.prefix}:*")} - before

    retried = wait_until(
        lambda: (r := _post(client, key="order-1")).status_code == 202 and r, 5, interval_s=0.2
    )

    assert refused.status_code == 503 and refused.headers["Retry-After"]
    assert refused.json["error"]["code"] == "replication_timeout"
    assert 0.3 <= took < 2.0
    assert left <= {KEYS.wake.encode()}, f"the withdrawn job left keys behind: {left}"
    assert "Idempotent-Replayed" not in retried.headers


def test_min_replicas_zero_never_waits(pair, app_on) -> None:
    """REDIS_MIN_REPLICAS=0: a frozen replica does not delay or refuse a submit."""
    primary, replica = pair
    client = app_on(primary, redis_min_replicas=0, redis_wait_timeout_ms=5000).test_client()

    with _Frozen(replica):
        started = time.monotonic()
        response = _post(client)
        took = time.monotonic() - started

    assert response.status_code == 202 and took < 1.0


def test_without_replicas_auto_does_not_wait(start_redis_server, app_on) -> None:
    """A primary with no replica: auto means 0, so submits are not refused."""
    server = start_redis_server(appendonly=False)

    assert _post(app_on(server).test_client()).status_code == 202


def test_a_claimed_job_is_not_withdrawn(pair, app_on) -> None:
    """If a process claimed the job before the WAIT ran out, it stands (no error, still there)."""
    primary, _ = pair
    app = app_on(primary, redis_min_replicas=0)  # the submit itself must not be withdrawn
    store = get_jobs(app).store()
    run_id = _post(app.test_client()).json["run_id"]
    store.claim_next("owner-a")

    outcome = store._withdraw(run_id, "")

    assert outcome == "stands"
    assert primary.client().hget(KEYS.job(run_id), "status") == b"running"


def test_a_job_waiting_for_its_replica_is_not_claimed_and_a_replay_confirms_it(
    pair, app_on
) -> None:
    """Replica frozen: the submit waits, and no process can claim the job meanwhile; a replay
    with the same Idempotency-Key waits too. Once the replica is back both answer 202 for the
    one job, which the replica holds and which is then claimed at once."""
    primary, replica = pair
    app = app_on(primary, redis_min_replicas=1, redis_wait_timeout_ms=5000)
    store = get_jobs(app).store()
    answers: list = []
    with _Frozen(replica):
        posts = [
            threading.Thread(target=lambda: answers.append(_post(app.test_client(), "k-2")))
            for _ in range(2)
        ]
        posts[0].start()
        wait_until(lambda: primary.client().keys(f"{KEYS.job_prefix}*"), 5)
        scripts_run = _scripts_run(primary)
        posts[1].start()
        wait_until(lambda: _scripts_run(primary) > scripts_run, 5)  # the replay's submit ran
        claimed_while_unconfirmed = store.claim_next("owner-a")
    for post in posts:
        post.join(timeout=10)

    assert claimed_while_unconfirmed is None
    assert sorted(a.status_code for a in answers) == [202, 202]
    run_ids = {a.json["run_id"] for a in answers}
    assert (
        len(run_ids) == 1
        and [a.headers.get("Idempotent-Replayed") for a in answers].count("true") == 1
    )
    (run_id,) = run_ids
    wait_until(lambda: replica.client().hget(KEYS.job(run_id), "status") == b"pending", 5)
    claim = store.claim_next("owner-a")
    assert claim is not None and claim.record.run_id == run_id


def _scripts_run(server: RedisServer) -> int:
    """How many EVALSHA calls the server has run."""
    return server.client().info("commandstats").get("cmdstat_evalsha", {}).get("calls", 0)
