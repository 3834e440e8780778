"""JobStore on fakeredis: the Lua compare-and-set rules."""

from __future__ import annotations

import pytest

from tests.conftest import valid_players
from webapp.jobs import service
from webapp.jobs.states import JobStatus, TransitionRefusedError
from webapp.jobs.store import JobStore


def _submit(store: JobStore, slate_id: str = "noop") -> str:
    return service.submit(store, {"slate_id": slate_id, "players": valid_players()}).run_id


def test_claim_takes_the_oldest_pending_job(store: JobStore) -> None:
    """Jobs are claimed first in, first out; each claim is attempt 1 and holds a lease."""
    first, second = _submit(store), _submit(store)

    claim = store.claim_next("owner-a")

    assert claim is not None and claim.record.run_id == first and claim.attempt == 1
    assert claim.record.status == JobStatus.RUNNING and claim.record.owner == "owner-a"
    assert store.queue_stats().pending == 1 and store.queue_stats().running == 1
    assert store.claim_next("owner-b").record.run_id == second


def test_claim_on_empty_queue_is_none(store: JobStore) -> None:
    """No pending job: nothing is claimed."""
    assert store.claim_next("owner") is None


def test_stale_queue_entry_is_skipped(store: JobStore) -> None:
    """A queued id whose record is gone (expired) is dropped, and the next job is claimed."""
    gone, alive = _submit(store), _submit(store)
    store.redis.delete(store.keys.job(gone))

    claim = store.claim_next("owner")

    assert claim.record.run_id == alive
    assert store.queue_stats().pending == 0


def test_complete_stores_result_and_releases_lease(store: JobStore) -> None:
    """Completion writes the result, status, finish time and removes the lease, atomically."""
    run_id = _submit(store)
    claim = store.claim_next("owner")

    store.complete(run_id, claim.attempt, {"lineups": [1]})

    record, result = store.get_result(run_id)
    assert record.status == JobStatus.COMPLETE and record.progress == 1.0 and record.finished_at
    assert result == {"lineups": [1]}
    assert store.queue_stats().running == 0


def test_second_completion_of_same_attempt_is_idempotent(store: JobStore) -> None:
    """Retrying the final write after a lost reply is harmless."""
    run_id = _submit(store)
    claim = store.claim_next("owner")
    store.complete(run_id, claim.attempt, {"n": 1})

    store.complete(run_id, claim.attempt, {"n": 2})

    assert store.get_result(run_id)[1] == {"n": 1}


def test_stale_attempt_cannot_complete(store: JobStore) -> None:
    """After a hand-back and a new claim, the old attempt's completion is refused."""
    run_id = _submit(store)
    old = store.claim_next("owner-a")
    assert store.hand_back(run_id, old.attempt)
    new = store.claim_next("owner-b")

    with pytest.raises(TransitionRefusedError):
        store.complete(run_id, old.attempt, {"from": "zombie"})
    store.complete(run_id, new.attempt, {"from": "owner-b"})

    assert new.attempt == old.attempt + 1
    assert store.get_result(run_id)[1] == {"from": "owner-b"}


def test_cannot_fail_a_completed_job(store: JobStore) -> None:
    """complete is terminal: a later failure write is refused."""
    run_id = _submit(store)
    claim = store.claim_next("owner")
    store.complete(run_id, claim.attempt, {})

    with pytest.raises(TransitionRefusedError):
        store.fail(run_id, claim.attempt, "late")
    assert store.get(run_id).status == JobStatus.COMPLETE


def test_cannot_complete_a_pending_job(store: JobStore) -> None:
    """A job that was never started cannot be completed."""
    run_id = _submit(store)

    with pytest.raises(TransitionRefusedError):
        store.complete(run_id, 0, {})


def test_progress_is_fenced_by_attempt(store: JobStore) -> None:
    """Progress from the owning attempt is written; from a stale attempt it is refused."""
    run_id = _submit(store)
    claim = store.claim_next("owner")

    assert store.report_progress(run_id, claim.attempt, 0.4, "simulating")
    assert not store.report_progress(run_id, claim.attempt + 1, 0.9, "zombie")
    record = store.get(run_id)
    assert (record.progress, record.phase) == (0.4, "simulating")


def test_hand_back_keeps_queue_place_and_retry_budget(store: JobStore) -> None:
    """A hand-back requeues ahead of newer jobs and does not count against MAX_ATTEMPTS."""
    handed = _submit(store)
    claim = store.claim_next("owner")
    newer = _submit(store)

    store.hand_back(handed, claim.attempt)

    record = store.get(handed)
    assert record.status == JobStatus.PENDING and record.handbacks == 1
    assert store.claim_next("other").record.run_id == handed
    assert store.claim_next("other").record.run_id == newer


def test_expired_lease_is_reclaimed_once(store: JobStore) -> None:
    """A running job whose lease ran out goes back to pending; a second scan finds nothing."""
    run_id = _submit(store)
    store.claim_next("dead-owner")
    store.redis.zadd(store.keys.leases, {run_id: 0})

    first = store.reclaim_expired()
    second = store.reclaim_expired()

    assert first == [(run_id, JobStatus.PENDING)] and second == []
    assert store.get(run_id).status == JobStatus.PENDING


def test_job_fails_after_max_attempts_crashes(store: JobStore) -> None:
    """Crashes count against MAX_ATTEMPTS; then the job fails with a clear error."""
    run_id = _submit(store)
    outcomes = []
    for _ in range(store.max_attempts):
        store.claim_next("crashing")
        store.redis.zadd(store.keys.leases, {run_id: 0})
        outcomes.extend(outcome for _, outcome in store.reclaim_expired())

    record = store.get(run_id)
    assert outcomes == [JobStatus.PENDING] * (store.max_attempts - 1) + [JobStatus.FAILED]
    assert record.status == JobStatus.FAILED and "MAX_ATTEMPTS=3" in record.error
    assert store.claim_next("anyone") is None


def test_renew_leases_reports_lost_attempts(store: JobStore) -> None:
    """Heartbeats extend owned leases and name the attempts that lost their job."""
    kept, lost = _submit(store), _submit(store)
    kept_claim = store.claim_next("me")
    lost_claim = store.claim_next("me")
    store.hand_back(lost, lost_claim.attempt)
    store.redis.zadd(store.keys.leases, {kept: 0})

    result = store.renew_leases([(kept, kept_claim.attempt), (lost, lost_claim.attempt)])

    assert result == [lost]
    assert store.redis.zscore(store.keys.leases, kept) > 0


def test_records_and_results_carry_the_ttl(store: JobStore) -> None:
    """Record and result expire after the TTL; the tombstone outlives them."""
    run_id = _submit(store)
    claim = store.claim_next("owner")
    store.complete(run_id, claim.attempt, {"x": 1})

    record_ttl = store.redis.ttl(store.keys.job(run_id))
    result_ttl = store.redis.ttl(store.keys.result(run_id))
    tomb_ttl = store.redis.ttl(store.keys.tombstone(run_id))

    assert 0 < record_ttl <= store.ttl_seconds and 0 < result_ttl <= store.ttl_seconds
    assert tomb_ttl > store.ttl_seconds


def test_checkpoint_round_trip_and_cleared_on_finish(store: JobStore) -> None:
    """A checkpoint is readable until the job finishes, then removed."""
    run_id = _submit(store)
    claim = store.claim_next("owner")
    assert store.save_checkpoint(run_id, claim.attempt, {"batch": 3, "candidates": [["a", "b"]]})

    assert store.load_checkpoint(run_id) == {"batch": 3, "candidates": [["a", "b"]]}
    store.complete(run_id, claim.attempt, {})
    assert store.load_checkpoint(run_id) is None


def test_stale_attempt_cannot_overwrite_the_checkpoint(store: JobStore) -> None:
    """Only the attempt that owns the job may save resume state."""
    run_id = _submit(store)
    old = store.claim_next("a")
    store.hand_back(run_id, old.attempt)
    new = store.claim_next("b")
    assert store.save_checkpoint(run_id, new.attempt, {"batch": 5})

    assert not store.save_checkpoint(run_id, old.attempt, {"batch": 1})
    assert store.load_checkpoint(run_id) == {"batch": 5}


def test_finishing_can_claim_the_next_job_in_the_same_script(store: JobStore) -> None:
    """complete/fail with claim_for end the attempt and start the oldest pending job for it."""
    first, second, third = _submit(store), _submit(store), _submit(store)
    claim = store.claim_next("owner")

    after_first = store.complete(first, claim.attempt, {"n": 1}, claim_for="owner")
    after_second = store.fail(second, after_first.attempt, "no lineup", claim_for="owner")

    assert store.get(first).status == JobStatus.COMPLETE
    assert store.get(second).status == JobStatus.FAILED
    assert after_first.record.run_id == second and after_first.record.owner == "owner"
    assert after_second.record.run_id == third and after_second.attempt == 1
    assert after_second.record.status == JobStatus.RUNNING
    assert store.queue_stats().pending == 0 and store.queue_stats().running == 1
    assert store.complete(third, after_second.attempt, {}, claim_for="owner") is None


def test_a_refused_finish_claims_nothing(store: JobStore) -> None:
    """A fenced attempt's final write is refused and leaves the queue alone."""
    run_id, waiting = _submit(store), _submit(store)
    old = store.claim_next("owner-a")
    store.hand_back(run_id, old.attempt)
    store.claim_next("owner-b")  # takes run_id again (it keeps its place), attempt 2

    with pytest.raises(TransitionRefusedError):
        store.complete(run_id, old.attempt, {"from": "zombie"}, claim_for="owner-a")

    assert store.get(waiting).status == JobStatus.PENDING
    assert store.queue_stats().pending == 1


def test_an_empty_queue_drops_stale_wake_up_tokens(store: JobStore) -> None:
    """Each submit leaves a wake-up token; once a claim finds no pending job, none is left for
    idle dispatchers to wake up for."""
    first, second = _submit(store), _submit(store)
    claim = store.claim_next("owner")
    store.complete(first, claim.attempt, {}, claim_for="owner")  # takes the second job along
    assert store.redis.llen(store.keys.wake) == 2

    assert store.claim_next("other") is None

    assert store.redis.llen(store.keys.wake) == 0
    assert store.get(second).status == JobStatus.RUNNING
    _submit(store)
    assert store.redis.llen(store.keys.wake) == 1
