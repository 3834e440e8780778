"""JobStore's operator part on fakeredis: job lists, lease facts, purge and presence."""

from __future__ import annotations

import time

import pytest

from tests.conftest import valid_players
from webapp.jobs import service
from webapp.jobs.errors import JobExpiredError, JobNotFoundError, TransitionRefusedError
from webapp.jobs.states import JobStatus
from webapp.jobs.store import JobStore


def _submit(store: JobStore) -> str:
    return service.submit(store, {"slate_id": "noop", "players": valid_players()}).run_id


def _submit_in_its_own_millisecond(store: JobStore) -> str:
    """The queue orders by submit time in ms; jobs of one millisecond have no order."""
    time.sleep(0.002)
    return _submit(store)


def test_run_ids_list_each_state_from_its_queue(store: JobStore) -> None:
    """Pending ids come oldest first from the queue, running ones from the leases, all by scan."""
    running, first, second = [_submit_in_its_own_millisecond(store) for _ in range(3)]
    store.claim_next("host-a:1")

    assert list(store.run_ids(JobStatus.PENDING, 10)) == [first, second]
    assert list(store.run_ids(JobStatus.PENDING, 1)) == [first]
    assert list(store.run_ids(JobStatus.RUNNING, 10)) == [running]
    assert sorted(store.run_ids(None, 10)) == sorted([running, first, second])


def test_read_fields_keeps_the_order_across_batches(
    store: JobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fields come back in the order of the ids asked for, missing records as None."""
    monkeypatch.setattr("webapp.jobs.store.READ_BATCH", 2)
    run_ids = [_submit(store) for _ in range(3)]

    rows = list(store.read_fields([*run_ids, "gone"], ("run_id", "status")))

    assert rows == [[r.encode(), b"pending"] for r in run_ids] + [[None, None]]


def test_lease_facts_of_a_running_job(store: JobStore) -> None:
    """A running job has a lease and an owner; a finished one has its result instead."""
    run_id = _submit(store)
    claim = store.claim_next("host-a:1")

    assert store.lease_expiry_ms(run_id) is not None and store.lease_owners() == ["host-a:1"]
    store.complete(run_id, claim.token, {"lineups": []})
    assert store.lease_expiry_ms(run_id) is None and store.lease_owners() == []
    assert store.has_result(run_id)


def test_purge_removes_only_what_has_no_record(store: JobStore) -> None:
    """Queue entries and tombstones whose record is gone are deleted; live jobs stay."""
    kept, gone = _submit(store), _submit(store)
    store.redis.delete(store.keys.job(gone))

    removed = store.purge()

    assert removed == {
        "tombstones": 1,
        "pending_entries": 1,
        "lease_entries": 0,
        "tenant_queue_entries": 1,
        "turns_entries": 0,
    }
    assert list(store.run_ids(JobStatus.PENDING, 10)) == [kept]


def test_retry_failed_queues_a_failed_job_again(store: JobStore) -> None:
    """A failed job goes back to pending with its error cleared; attempts keep counting."""
    run_id = _submit(store)
    claim = store.claim_next("host-a:1")
    store.fail(run_id, claim.token, "boom")

    record = store.retry_failed(run_id)

    assert record.status is JobStatus.PENDING and record.error is None and record.attempts == 1
    assert list(store.run_ids(JobStatus.PENDING, 10)) == [run_id]


def test_retry_failed_refuses_a_job_that_is_not_failed(store: JobStore) -> None:
    """Only a failed job is sent back; a missing one reads as missing."""
    run_id = _submit(store)

    with pytest.raises(TransitionRefusedError):
        store.retry_failed(run_id)
    with pytest.raises((JobNotFoundError, JobExpiredError)):
        store.retry_failed("01ARZ3NDEKTSV4RRFFQ69G5FAV")


def test_presence_documents_round_trip(store: JobStore) -> None:
    """A worker's document is stored under its owner id until it is forgotten."""
    store.write_presence("host-a:1", b"{}")

    assert store.presence() == {"host-a:1": b"{}"}
    store.forget_workers("host-a:1")
    assert store.presence() == {}
