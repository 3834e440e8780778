"""Every status change leaves a notice for status waiters, written by the changing script."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import valid_players
from webapp.jobs import service
from webapp.jobs.store import Claim, JobStore


def _running(store: JobStore) -> tuple[str, str]:
    run_id = service.submit(store, {"players": valid_players()}).run_id
    claim = store.claim_next("test")
    store.redis.delete(store.keys.notify(run_id))  # the claim's own notice
    return run_id, claim.token


def _reclaim(store: JobStore, run_id: str, token: str) -> None:
    store.redis.zadd(store.keys.leases, {run_id: 0})
    store.reclaim_expired()


def _take_back(store: JobStore, run_id: str, token: str) -> None:
    _reclaim(store, run_id, token)
    store.redis.delete(store.keys.notify(run_id))
    claim = Claim(record=store.get(run_id), token=token)
    store.renew_leases("test", [claim])  # the attempt was alive: running again


CHANGES: dict[str, Callable[[JobStore, str, str], object]] = {
    "complete": lambda store, run_id, token: store.complete(run_id, token, {"lineups": []}),
    "fail": lambda store, run_id, token: store.fail(run_id, token, "no", "infeasible"),
    "hand-back": lambda store, run_id, token: store.hand_back(run_id, token),
    "retry-later": lambda store, run_id, token: store.retry_later(run_id, token, "down", 1.0),
    "reclaim": _reclaim,
    "take-back": _take_back,
    "cancel": lambda store, run_id, token: store.cancel(run_id, "cancelled by the client"),
}


@pytest.mark.parametrize("change", list(CHANGES), ids=list(CHANGES))
def test_a_status_change_leaves_one_notice(store: JobStore, change: str) -> None:
    """After the change the job's notify list holds one token with a short TTL."""
    run_id, token = _running(store)

    CHANGES[change](store, run_id, token)

    assert store.redis.llen(store.keys.notify(run_id)) == 1
    assert 0 < store.redis.pttl(store.keys.notify(run_id)) <= 2000


def test_a_claim_leaves_a_notice(store: JobStore) -> None:
    """pending -> running is a change too."""
    run_id = service.submit(store, {"players": valid_players()}).run_id

    store.claim_next("test")

    assert store.wait_for_notice(run_id, 0.01) is True


def test_progress_leaves_no_notice(store: JobStore) -> None:
    """Progress is not a status change: waiters are not woken for it."""
    run_id, token = _running(store)

    store.report_progress(run_id, token, 0.5, "building")

    assert store.redis.llen(store.keys.notify(run_id)) == 0
