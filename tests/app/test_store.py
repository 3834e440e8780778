"""JobStore on fakeredis: the Lua compare-and-set rules."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import valid_players
from webapp.jobs import service
from webapp.jobs.errors import JobExpiredError, TransitionRefusedError
from webapp.jobs.states import JobStatus
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

    store.complete(run_id, claim.token, {"lineups": [1]})

    record, result = store.get_result(run_id)
    assert record.status == JobStatus.COMPLETE and record.progress == 1.0 and record.finished_at
    assert result == {"lineups": [1]}
    assert store.queue_stats().running == 0


def test_second_completion_of_same_attempt_is_idempotent(store: JobStore) -> None:
    """Retrying the final write after a lost reply is harmless."""
    run_id = _submit(store)
    claim = store.claim_next("owner")
    store.complete(run_id, claim.token, {"n": 1})

    store.complete(run_id, claim.token, {"n": 2})

    assert store.get_result(run_id)[1] == {"n": 1}


def test_stale_attempt_cannot_complete(store: JobStore) -> None:
    """After a hand-back and a new claim, the old attempt's completion is refused."""
    run_id = _submit(store)
    old = store.claim_next("owner-a")
    assert store.hand_back(run_id, old.token)
    new = store.claim_next("owner-b")

    with pytest.raises(TransitionRefusedError):
        store.complete(run_id, old.token, {"from": "zombie"})
    store.complete(run_id, new.token, {"from": "owner-b"})

    assert new.attempt == old.attempt + 1
    assert store.get_result(run_id)[1] == {"from": "owner-b"}


def test_cannot_fail_a_completed_job(store: JobStore) -> None:
    """complete is terminal: a later failure write is refused."""
    run_id = _submit(store)
    claim = store.claim_next("owner")
    store.complete(run_id, claim.token, {})

    with pytest.raises(TransitionRefusedError):
        store.fail(run_id, claim.token, "late")
    assert store.get(run_id).status == JobStatus.COMPLETE


def test_cannot_complete_a_pending_job(store: JobStore) -> None:
    """A job that was never started cannot be completed."""
    run_id = _submit(store)

    with pytest.raises(TransitionRefusedError):
        store.complete(run_id, "no-such-claim", {})


def test_progress_is_fenced_by_claim_token(store: JobStore) -> None:
    """Progress from the owning attempt is written; from another token it is refused."""
    run_id = _submit(store)
    claim = store.claim_next("owner")

    assert store.report_progress(run_id, claim.token, 0.4, "simulating")
    assert not store.report_progress(run_id, claim.token + "x", 0.9, "zombie")
    record = store.get(run_id)
    assert (record.progress, record.phase) == (0.4, "simulating")


def test_hand_back_keeps_queue_place_and_retry_budget(store: JobStore) -> None:
    """A hand-back requeues ahead of newer jobs and does not count against MAX_ATTEMPTS."""
    handed = _submit(store)
    claim = store.claim_next("owner")
    newer = _submit(store)

    store.hand_back(handed, claim.token)

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
    store.hand_back(lost, lost_claim.token)
    store.redis.zadd(store.keys.leases, {kept: 0})

    renewal = store.renew_leases("me", [kept_claim, lost_claim])

    assert renewal.lost == [lost]
    assert store.redis.zscore(store.keys.leases, kept) > 0


def test_records_and_results_carry_the_ttl(store: JobStore) -> None:
    """Record and result expire after the TTL; the tombstone outlives them."""
    run_id = _submit(store)
    claim = store.claim_next("owner")
    store.complete(run_id, claim.token, {"x": 1})

    record_ttl = store.redis.ttl(store.keys.job(run_id))
    result_ttl = store.redis.ttl(store.keys.result(run_id))
    tomb_ttl = store.redis.ttl(store.keys.tombstone(run_id))

    assert 0 < record_ttl <= store.ttl_seconds and 0 < result_ttl <= store.ttl_seconds
    assert tomb_ttl > store.ttl_seconds


def test_checkpoint_round_trip_and_cleared_on_finish(store: JobStore) -> None:
    """A checkpoint is readable until the job finishes, then removed."""
    run_id = _submit(store)
    claim = store.claim_next("owner")
    assert store.save_checkpoint(run_id, claim.token, {"batch": 3, "candidates": [["a", "b"]]})

    assert store.load_checkpoint(run_id) == {"batch": 3, "candidates": [["a", "b"]]}
    store.complete(run_id, claim.token, {})
    assert store.load_checkpoint(run_id) is None


def test_stale_attempt_cannot_overwrite_the_checkpoint(store: JobStore) -> None:
    """Only the attempt that owns the job may save resume state."""
    run_id = _submit(store)
    old = store.claim_next("a")
    store.hand_back(run_id, old.token)
    new = store.claim_next("b")
    assert store.save_checkpoint(run_id, new.token, {"batch": 5})

    assert not store.save_checkpoint(run_id, old.token, {"batch": 1})
    assert store.load_checkpoint(run_id) == {"batch": 5}


def test_a_retried_claim_returns_the_job_it_took(store: JobStore) -> None:
    """A claim retried with the same token after a lost reply gets the same job, not another."""
    first, second = _submit(store), _submit(store)
    claim = store.claim_next("owner", "token-1")

    again = store.claim_next("owner", "token-1")

    assert again.record.run_id == claim.record.run_id == first and again.token == "token-1"
    assert store.get(first).attempts == 1 and store.get(second).status == JobStatus.PENDING


def test_a_token_that_took_nothing_takes_nothing_on_retry(store: JobStore) -> None:
    """A retried claim whose first try found the queue empty claims with a fresh token later."""
    assert store.claim_next("owner", "token-1") is None
    run_id = _submit(store)

    assert store.claim_next("owner", "token-1").record.run_id == run_id


def test_an_empty_queue_drops_stale_wake_up_tokens(store: JobStore) -> None:
    """Each submit leaves a wake-up token; once a claim finds no pending job, none is left for
    idle dispatchers to wake up for."""
    first, second = _submit(store), _submit(store)
    store.claim_next("owner")
    store.claim_next("owner")
    assert store.redis.llen(store.keys.wake) == 2

    assert store.claim_next("other") is None

    assert store.redis.llen(store.keys.wake) == 0
    assert store.get(second).status == JobStatus.RUNNING and store.get(first).attempts == 1
    _submit(store)
    assert store.redis.llen(store.keys.wake) == 1


def test_live_records_have_no_ttl_until_they_finish(store: JobStore) -> None:
    """A job that waits or runs longer than the TTL never expires; finishing starts the TTL."""
    run_id = _submit(store)
    assert store.redis.ttl(store.keys.job(run_id)) == -1
    claim = store.claim_next("owner")
    assert store.redis.ttl(store.keys.job(run_id)) == -1

    store.complete(run_id, claim.token, {})

    assert 0 < store.redis.ttl(store.keys.job(run_id)) <= store.ttl_seconds


def test_an_owner_cut_off_by_an_outage_takes_its_job_back(store: JobStore) -> None:
    """Recovery requeued a job whose lease ran out while its owner could not reach Redis; the
    owner's next heartbeat takes it back uncharged, and its result is accepted."""
    run_id = _submit(store)
    claim = store.claim_next("owner")
    store.redis.zadd(store.keys.leases, {run_id: 0})
    assert store.reclaim_expired() == [(run_id, JobStatus.PENDING)]
    assert store.get(run_id).failed_attempts == 1

    assert store.renew_leases("owner", [claim]).lost == []

    record = store.get(run_id)
    assert record.status == JobStatus.RUNNING and record.failed_attempts == 0
    assert store.claim_next("other") is None
    store.complete(run_id, claim.token, {"n": 1})
    assert store.get_result(run_id)[1] == {"n": 1}


def test_a_result_held_through_an_outage_is_accepted_until_another_claim(
    store: JobStore,
) -> None:
    """After recovery requeued the job, its first attempt may still finish it, unless another
    attempt has claimed it meanwhile."""
    kept, taken = _submit(store), _submit(store)
    kept_claim, taken_claim = store.claim_next("a"), store.claim_next("a")
    store.redis.zadd(store.keys.leases, {kept: 0, taken: 0})
    store.reclaim_expired()
    store.claim_next("b")  # takes `kept`, the older of the two

    winner = store.get(kept)
    assert winner.status == JobStatus.RUNNING and winner.owner == "b"
    with pytest.raises(TransitionRefusedError):
        store.complete(kept, kept_claim.token, {"from": "a"})
    store.complete(taken, taken_claim.token, {"from": "a"})
    assert store.get(taken).status == JobStatus.COMPLETE
    assert store.queue_stats().pending == 0


def test_a_finished_job_is_not_reported_lost(store: JobStore) -> None:
    """A heartbeat racing with the job's own final write does not call the job lost."""
    run_id = _submit(store)
    claim = store.claim_next("owner")
    store.complete(run_id, claim.token, {})

    assert store.renew_leases("owner", [claim]).lost == []


def test_a_transient_failure_requeues_with_a_delay_then_fails(store: JobStore) -> None:
    """retry_later charges the attempt and delays the job; at MAX_ATTEMPTS it fails with the
    cause."""
    run_id = _submit(store)
    claim = store.claim_next("owner")

    assert store.retry_later(run_id, claim.token, "Neo4j down", 60) == JobStatus.PENDING

    record = store.get(run_id)
    assert record.status == JobStatus.PENDING and record.failed_attempts == 1
    assert "Neo4j down" in record.error
    assert store.claim_next("owner") is None  # not due for a minute
    store.redis.zadd(store.keys.pending, {run_id: 0})
    for _ in range(store.max_attempts - 1):
        claim = store.claim_next("owner")
        outcome = store.retry_later(run_id, claim.token, "Neo4j down", 0)
    assert outcome == JobStatus.FAILED
    record = store.get(run_id)
    assert record.status == JobStatus.FAILED and "Neo4j down" in record.error
    assert "MAX_ATTEMPTS=3" in record.error


def test_a_claim_token_cannot_be_reused_after_a_rollback(store: JobStore) -> None:
    """Fencing holds when Redis hands the same attempt number out twice (a rollback): each
    claim has its own token, so only the current one may write."""
    run_id = _submit(store)
    first = store.claim_next("a")
    store.redis.hset(store.keys.job(run_id), mapping={"status": "pending", "attempts": 0})
    store.redis.zadd(store.keys.pending, {run_id: 0})  # the claim rolled back
    second = store.claim_next("b")

    assert first.attempt == second.attempt == 1
    with pytest.raises(TransitionRefusedError):
        store.complete(run_id, first.token, {"from": "a"})
    store.complete(run_id, second.token, {"from": "b"})
    assert store.get_result(run_id)[1] == {"from": "b"}


def test_a_recovery_scan_held_up_past_its_bound_reclaims_nothing(store: JobStore) -> None:
    """A scan Redis gets to only after its bound (it stalled meanwhile) leaves leases alone."""
    run_id = _submit(store)
    store.claim_next("owner")
    store.redis.zadd(store.keys.leases, {run_id: 0})
    now_ms = store.server_time_ms()

    assert store.reclaim_expired(not_after_ms=now_ms - 1) == []
    assert store.get(run_id).status == JobStatus.RUNNING
    assert store.reclaim_expired(not_after_ms=now_ms + 60_000) == [(run_id, JobStatus.PENDING)]


def _failed_job_of_alice(store: JobStore) -> str:
    origin = service.Origin(tenant="alice")
    job_input = {"slate_id": "noop", "players": valid_players()}
    run_id = service.submit(store, job_input, origin=origin).run_id
    claim = store.claim_next("owner")
    assert claim is not None
    store.fail(run_id, claim.token, "boom")
    return run_id


def _ended(store: JobStore, run_id: str) -> None:
    """Nothing more: the tombstone is the one its failure wrote."""


def _retried(store: JobStore, run_id: str) -> None:
    store.retry_failed(run_id)


def _restored(store: JobStore, run_id: str) -> None:
    store.retry_failed(run_id)
    claim = store.claim_next("owner")
    assert claim is not None
    store.redis.delete(store.keys.job(run_id), store.keys.tombstone(run_id))
    assert store.restore(claim, "owner")


@pytest.mark.parametrize(
    "step", [_ended, _retried, _restored], ids=["ended", "retried", "restored"]
)
def test_a_tombstone_names_the_jobs_tenant(
    store: JobStore, step: Callable[[JobStore, str], None]
) -> None:
    """However its tombstone was last written, an expired job's error names its tenant."""
    run_id = _failed_job_of_alice(store)
    step(store, run_id)
    store.redis.delete(store.keys.job(run_id))

    with pytest.raises(JobExpiredError) as expired:
        store.get(run_id)

    assert (expired.value.tenant, expired.value.owner_known) == ("alice", True)


def test_a_tombstone_of_a_job_without_a_tenant_names_none(store: JobStore) -> None:
    """A job submitted without a tenant expires as no tenant's (tenant None, owner known)."""
    run_id = _submit(store)
    store.redis.delete(store.keys.job(run_id))

    with pytest.raises(JobExpiredError) as expired:
        store.get(run_id)

    assert (expired.value.tenant, expired.value.owner_known) == (None, True)


def _completed(store: JobStore, run_id: str, token: str) -> None:
    store.complete(run_id, token, {"lineups": []})


def _failed(store: JobStore, run_id: str, token: str) -> None:
    store.fail(run_id, token, "no lineup", "infeasible")


def _cancelled(store: JobStore, run_id: str, token: str) -> None:
    store.cancel(run_id, "cancelled by its client")


def _retried_later(store: JobStore, run_id: str, token: str) -> None:
    store.retry_later(run_id, token, "Neo4j down", 60)


def _given_up(store: JobStore, run_id: str, token: str) -> None:
    store.redis.hset(store.keys.job(run_id), "failed_attempts", store.max_attempts - 1)
    store.retry_later(run_id, token, "Neo4j down", 60)


def _handed_back(store: JobStore, run_id: str, token: str) -> None:
    store.hand_back(run_id, token)


def _reclaimed(store: JobStore, run_id: str, token: str) -> None:
    store.redis.zadd(store.keys.leases, {run_id: 0})
    store.reclaim_expired()


def _reclaimed_for_good(store: JobStore, run_id: str, token: str) -> None:
    store.redis.hset(store.keys.job(run_id), "failed_attempts", store.max_attempts - 1)
    _reclaimed(store, run_id, token)


@pytest.mark.parametrize(
    ("end", "status"),
    [
        (_completed, JobStatus.COMPLETE),
        (_failed, JobStatus.FAILED),
        (_cancelled, JobStatus.FAILED),
        (_retried_later, JobStatus.PENDING),
        (_given_up, JobStatus.FAILED),
        (_handed_back, JobStatus.PENDING),
        (_reclaimed, JobStatus.PENDING),
        (_reclaimed_for_good, JobStatus.FAILED),
    ],
    ids=lambda value: getattr(value, "__name__", "").strip("_") or str(value),
)
def test_an_attempt_that_ends_leaves_no_phase_in_the_record(
    store: JobStore, end: Callable[[JobStore, str, str], None], status: JobStatus
) -> None:
    """The step a running attempt reported is gone from the stored record once the attempt
    ends, however it ends: the record holds no phase of a job that is not running."""
    run_id = _submit(store)
    claim = store.claim_next("owner")
    assert claim is not None and store.report_progress(run_id, claim.token, 0.9, "selecting")

    end(store, run_id, claim.token)

    assert store.get(run_id).status == status
    assert not store.redis.hget(store.keys.job(run_id), "phase")
