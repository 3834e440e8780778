"""Operator commands against a real Redis."""

from __future__ import annotations

import json
import socket

import pytest
from flask import Flask

from tests.conftest import valid_players
from webapp import drain
from webapp.config import Settings
from webapp.jobs import service
from webapp.jobs.extension import get_jobs
from webapp.jobs.store import JobStore

pytestmark = pytest.mark.integration


def _submit(store: JobStore, slate_id: str = "noop") -> str:
    return service.submit(store, {"slate_id": slate_id, "players": valid_players()}).run_id


def _run(app: Flask, *args: str):
    return app.test_cli_runner().invoke(args=["jobs", *args])


def test_list_by_state_shows_age_and_attempts(real_app: Flask, real_store: JobStore) -> None:
    """`jobs list --state running` lists running jobs only, with attempts and owner."""
    pending = _submit(real_store)
    running = _submit(real_store)
    real_store.claim_next("host-a:1")  # claims `pending`, the oldest
    del running

    result = _run(real_app, "list", "--state", "running")

    assert result.exit_code == 0, result.output
    assert pending in result.output and "host-a:1" in result.output
    assert "1 job(s)" in result.output


def test_list_all_states(real_app: Flask, real_store: JobStore) -> None:
    """Without --state every job is listed."""
    ids = {_submit(real_store) for _ in range(3)}

    result = _run(real_app, "list")

    assert result.exit_code == 0
    assert all(run_id in result.output for run_id in ids)


def test_show_prints_the_job_as_json(real_app: Flask, real_store: JobStore) -> None:
    """`jobs show` prints the record, lease and whether a result exists."""
    run_id = _submit(real_store)

    result = _run(real_app, "show", run_id)

    document = json.loads(result.stdout)
    assert document["run_id"] == run_id and document["has_result"] is False


def test_requeue_hands_a_stuck_job_back(real_app: Flask, real_store: JobStore) -> None:
    """`jobs requeue` moves a running job back to pending without spending an attempt."""
    run_id = _submit(real_store)
    real_store.claim_next("stuck:1")

    result = _run(real_app, "requeue", run_id)

    assert result.exit_code == 0 and "pending again" in result.output
    record = real_store.get(run_id)
    assert record.status == "pending" and record.handbacks == 1


def test_requeue_refuses_a_pending_job(real_app: Flask, real_store: JobStore) -> None:
    """Only running jobs can be handed back."""
    run_id = _submit(real_store)

    result = _run(real_app, "requeue", run_id)

    assert result.exit_code != 0 and "refused" in result.output


def test_fail_a_stuck_job(real_app: Flask, real_store: JobStore) -> None:
    """`jobs fail --reason` fails a running job with that error."""
    run_id = _submit(real_store)
    real_store.claim_next("stuck:1")

    result = _run(real_app, "fail", run_id, "--reason", "operator: bad slate")

    assert result.exit_code == 0
    record = real_store.get(run_id)
    assert record.status == "failed" and record.error == "operator: bad slate"


def test_unknown_job_is_a_clear_error(real_app: Flask) -> None:
    """Commands on an unknown id fail with a message, not a traceback."""
    result = _run(real_app, "show", "01ARZ3NDEKTSV4RRFFQ69G5FAV")

    assert result.exit_code != 0 and "no job" in result.output


def test_expired_job_is_a_clear_error(real_app: Flask, real_store: JobStore) -> None:
    """A job whose record expired (its tombstone left) is named as expired, not unknown."""
    run_id = _submit(real_store)
    real_store.redis.delete(real_store.keys.job(run_id))
    real_store.redis.set(real_store.keys.tombstone(run_id), "1")

    result = _run(real_app, "requeue", run_id)

    assert result.exit_code != 0 and f"job {run_id} has expired" in result.output


def test_purge_removes_orphans_only(real_app: Flask, real_store: JobStore) -> None:
    """Tombstones and queue entries of expired records go; live jobs stay."""
    live = _submit(real_store)
    gone = _submit(real_store)
    real_store.redis.delete(real_store.keys.job(gone))

    result = _run(real_app, "purge")

    assert result.exit_code == 0, result.output
    assert "1 tombstones" in result.output and "1 pending_entries" in result.output
    assert real_store.redis.exists(real_store.keys.tombstone(live))
    assert get_jobs(real_app).store().queue_stats().pending == 1


def _submit_as(store: JobStore, tenant: str) -> str:
    job_input = {"slate_id": "noop", "players": valid_players()}
    return service.submit(store, job_input, origin=service.Origin(tenant=tenant)).run_id


def _tenant_queue(store: JobStore, tenant: str) -> list[str]:
    return [r.decode() for r in store.redis.zrange(store.keys.tenant_queue(tenant), 0, -1)]


def test_purge_cleans_the_tenants_queues_and_turns(real_app: Flask, real_store: JobStore) -> None:
    """Entries of jobs whose record is gone leave their tenant's queue too, and a tenant left
    with nothing queued leaves the turns; another tenant's live job keeps its places."""
    alice_live, alice_gone = _submit_as(real_store, "alice"), _submit_as(real_store, "alice")
    bob_gone = _submit_as(real_store, "bob")
    real_store.redis.delete(real_store.keys.job(alice_gone), real_store.keys.job(bob_gone))

    result = _run(real_app, "purge")

    assert result.exit_code == 0, result.output
    assert (_tenant_queue(real_store, "alice"), _tenant_queue(real_store, "bob")) == (
        [alice_live],
        [],
    )
    assert real_store.redis.zrange(real_store.keys.turns, 0, -1) == [b"alice"]
    assert "2 pending_entries" in result.output and "2 tenant_queue_entries" in result.output
    assert "1 turns_entries" in result.output
    claim = real_store.claim_next("host-a:1")
    assert claim is not None and claim.record.run_id == alice_live


def test_purge_leaves_a_tenant_whose_turn_is_ahead_in_the_turns(
    real_app: Flask, real_store: JobStore
) -> None:
    """A tenant just served, with nothing queued, keeps its turn (as the claim keeps it), so
    its next job does not go ahead of tenants still waiting for theirs."""
    _submit_as(real_store, "bob")
    assert real_store.claim_next("host-a:1") is not None

    result = _run(real_app, "purge")

    assert result.exit_code == 0, result.output
    assert real_store.redis.zrange(real_store.keys.turns, 0, -1, withscores=True) == [(b"bob", 1)]


def test_jobs_commands_name_the_redis_they_use(real_app: Flask, real_store: JobStore) -> None:
    """Every `jobs` command says on stderr which Redis (password hidden) and prefix it acts on."""
    result = _run(real_app, "list")

    assert result.exit_code == 0
    assert "jobs: Redis redis://" in result.stderr
    assert real_store.keys.prefix in result.stderr


def test_jobs_commands_refuse_to_guess_the_redis(
    settings, real_redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without REDIS_URL the CLI stops with a message instead of acting on the default Redis."""
    from dataclasses import replace

    from tests.conftest import close_app
    from webapp import create_app

    monkeypatch.delenv("REDIS_URL", raising=False)
    app = create_app(replace(settings, testing=False))
    try:
        result = _run(app, "purge")
    finally:
        close_app(app)

    assert result.exit_code == 2
    assert "REDIS_URL is not set" in result.output and "scripts/ops" in result.output
    assert "removed" not in result.output


def test_drain_counts_the_running_jobs_of_this_host_only(
    real_store: JobStore, settings: Settings
) -> None:
    """`python -m webapp.drain --wait` waits for the leases this host's processes hold."""
    for _ in range(3):
        _submit(real_store)
    real_store.claim_next(f"{socket.gethostname()}:1")
    real_store.claim_next(f"{socket.gethostname()}:2")
    real_store.claim_next("another-host:1")

    assert drain._running_here(settings) == 2
