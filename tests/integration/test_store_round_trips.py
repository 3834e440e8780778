"""What the store's pipelines send a real redis-server: scripts as EVALSHA alone, loaded again
only when Redis has forgotten them."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import valid_players
from tests.support.redis_server import RedisServer
from webapp.config import Settings
from webapp.jobs import service
from webapp.jobs.durability import WaitPolicy
from webapp.jobs.extension import build_store
from webapp.jobs.store import JobStore

pytestmark = pytest.mark.integration


@pytest.fixture
def private_store(start_redis_server: Callable[..., RedisServer], settings: Settings) -> JobStore:
    """A store on a redis-server of its own, so its command counts are this test's alone."""
    server = start_redis_server(appendonly=False)
    return build_store(server.client(), settings)


def _calls(store: JobStore, command: str) -> int:
    stats = store.redis.info("commandstats")
    return int(stats.get(f"cmdstat_{command}", {}).get("calls", 0))


def _finish_one(store: JobStore, wait: WaitPolicy | None = None) -> None:
    run_id = service.submit(store, {"slate_id": "noop", "players": valid_players()}).run_id
    claim = store.claim_next("owner")
    store.complete(run_id, claim.token, {"lineups": []}, wait=wait)
    assert store.get(run_id).status == "complete"


def test_a_finish_asks_no_script_exists(private_store: JobStore) -> None:
    """Finishing jobs (with and without WAIT) sends no SCRIPT EXISTS: one round trip each."""
    _finish_one(private_store)
    before = _calls(private_store, "script|exists")

    _finish_one(private_store)
    _finish_one(private_store, WaitPolicy(replicas=0, timeout_ms=10))

    assert _calls(private_store, "script|exists") == before


def test_a_finish_after_script_flush_loads_the_scripts_again(private_store: JobStore) -> None:
    """Redis that forgot the scripts (a restart, SCRIPT FLUSH) still takes a finish."""
    _finish_one(private_store)
    private_store.redis.script_flush()

    _finish_one(private_store)

    assert _calls(private_store, "script|load") >= 1
