"""Every Redis error a request meets has a defined answer: READONLY, OOM and MISCONF from a real
redis-server answer 503 with Retry-After (never 500); /ready reports replication and eviction."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from structlog.testing import LogCapture

from tests.conftest import capture_logs_into, close_app, valid_players
from tests.support.kinds import scripted_kinds
from tests.support.redis_server import RedisServer
from tests.support.waiting import wait_until
from webapp import create_app
from webapp.clients.redis_client import get_redis
from webapp.config import Settings

pytestmark = pytest.mark.integration

BODY = {"slate_id": "noop", "players": valid_players(), "n_scenarios": 0}


@pytest.fixture
def app_on(tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Apps (runner not started) on a given private redis-server."""
    built: list[Flask] = []

    def build(server: RedisServer, **overrides: object) -> Flask:
        settings = Settings(
            testing=True,
            log_file="",
            redis_url=server.url,
            redis_key_prefix="err",
            drain_flag_file=str(tmp_path / "draining"),
            redis_socket_timeout_s=2.0,
            redis_connect_timeout_s=2.0,
            ready_cache_seconds=0.0,
            **overrides,  # type: ignore[arg-type]
        )
        app = create_app(settings, kinds=scripted_kinds())
        built.append(app)
        return app

    yield build
    for app in built:
        close_app(app)


def _assert_unavailable(response) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.headers["Retry-After"]
    assert response.json["error"]["code"] == "redis_unavailable"


def test_submit_to_a_replica_is_503(start_redis_server, app_on) -> None:
    """READONLY (the target is a replica, as a demoted primary is): 503, and /ready fails."""
    primary = start_redis_server(appendonly=False)
    replica = start_redis_server(appendonly=False)
    replica.client().replicaof("127.0.0.1", primary.port)
    client = app_on(replica).test_client()

    response = client.post("/optimize", json=BODY)
    ready = client.get("/ready")

    _assert_unavailable(response)
    replication = ready.json["checks"]["redis:replication"][0]
    assert ready.status_code == 503 and replication["observedValue"] == "slave"


def test_submit_under_oom_is_503_and_reads_still_work(start_redis_server, app_on) -> None:
    """OOM (tiny maxmemory, noeviction): a submit answers 503; status reads keep answering."""
    server = start_redis_server(appendonly=False)
    client = app_on(server).test_client()
    accepted = client.post("/optimize", json=BODY)
    server.client().config_set("maxmemory-policy", "noeviction")
    server.client().config_set("maxmemory", 1)

    refused = client.post("/optimize", json=BODY)
    read = client.get(f"/optimize/{accepted.json['run_id']}")

    _assert_unavailable(refused)
    assert read.status_code == 200


def test_submit_after_a_failed_background_save_is_503(start_redis_server, app_on) -> None:
    """MISCONF (a BGSAVE failed, stop-writes-on-bgsave-error yes): 503 with Retry-After."""
    server = start_redis_server(appendonly=False)
    client = app_on(server).test_client()
    admin = server.client()
    admin.config_set("save", "3600 1")
    admin.config_set("stop-writes-on-bgsave-error", "yes")
    shutil.rmtree(server.directory)  # the server's working dir: the RDB file cannot be written
    admin.bgsave()
    wait_until(
        lambda: admin.info("persistence")["rdb_last_bgsave_status"] == "err",
        10,
        message="BGSAVE did not fail",
    )

    response = client.post("/optimize", json=BODY)

    _assert_unavailable(response)


def test_reads_with_redis_down_are_503(start_redis_server, app_on) -> None:
    """A status read while Redis is stopped answers 503 with Retry-After."""
    server = start_redis_server(appendonly=False)
    client = app_on(server).test_client()
    run_id = client.post("/optimize", json=BODY).json["run_id"]
    server.stop()

    _assert_unavailable(client.get(f"/optimize/{run_id}"))
    _assert_unavailable(client.get(f"/optimize/{run_id}/result"))


@pytest.mark.parametrize("policy", ["volatile-lru", "volatile-ttl", "allkeys-lru"])
def test_ready_warns_for_any_evicting_policy(start_redis_server, app_on, policy: str) -> None:
    """With maxmemory set, every policy but noeviction warns, naming the reason."""
    server = start_redis_server(appendonly=True)
    server.client().config_set("maxmemory", 512 * 1024 * 1024)
    server.client().config_set("maxmemory-policy", policy)

    ready = app_on(server).test_client().get("/ready")

    entry = ready.json["checks"]["redis:evictionPolicy"][0]
    assert ready.status_code == 200
    assert (entry["status"], entry["observedValue"]) == ("warn", policy)
    assert "evict" in entry["output"] and "noeviction" in entry["output"]


def test_ready_passes_noeviction_and_no_maxmemory(start_redis_server, app_on) -> None:
    """noeviction with maxmemory, or any policy without maxmemory, passes."""
    server = start_redis_server(appendonly=True)
    client = app_on(server).test_client()
    server.client().config_set("maxmemory-policy", "allkeys-lru")
    unlimited = client.get("/ready").json["checks"]["redis:evictionPolicy"][0]
    server.client().config_set("maxmemory", 512 * 1024 * 1024)
    server.client().config_set("maxmemory-policy", "noeviction")
    bounded = client.get("/ready").json["checks"]["redis:evictionPolicy"][0]

    assert (unlimited["status"], bounded["status"]) == ("pass", "pass")


def test_evicting_policy_is_logged_once_per_process(start_redis_server, app_on) -> None:
    """On first Redis use the process logs one warning naming the policy, however often the
    server is looked at afterwards."""
    server = start_redis_server(appendonly=False)
    server.client().config_set("maxmemory", 512 * 1024 * 1024)
    server.client().config_set("maxmemory-policy", "volatile-lru")
    app = app_on(server)
    capture = LogCapture()
    capture_logs_into(capture)

    connections = get_redis(app)
    connections.client()
    warnings = lambda: [  # noqa: E731
        e for e in capture.entries if e["event"] == "redis_eviction_policy_unsafe"
    ]
    wait_until(warnings, 5, message="no eviction warning")
    connections.facts.refresh(connections.client())
    app.test_client().post("/optimize", json=BODY)

    assert len(warnings()) == 1 and "volatile-lru" in warnings()[0]["reason"]


def test_ready_shows_primary_and_replicas(start_redis_server, app_on) -> None:
    """/ready names the role, the primary's address and the replicas connected to it."""
    primary = start_redis_server(appendonly=False)
    replica = start_redis_server(appendonly=False)
    replica.client().replicaof("127.0.0.1", primary.port)
    wait_until(lambda: primary.client().info("replication")["connected_slaves"] == 1, 10)

    ready = app_on(primary).test_client().get("/ready")

    entry = ready.json["checks"]["redis:replication"][0]
    assert entry["observedValue"] == "master"
    assert entry["primary"] == f"127.0.0.1:{primary.port}"
    assert entry["replicas"][0].startswith(f"127.0.0.1:{replica.port}")
