"""JobStore on fakeredis: a job Redis lost while it ran, a claim whose reply was lost, a finish
sent again, a submit held until its replicas confirm it."""

from __future__ import annotations

import pytest

from tests.conftest import valid_players
from tests.support.waiting import wait_until
from webapp.jobs import scripts, service
from webapp.jobs.durability import WaitPolicy
from webapp.jobs.errors import JobVanishedError, ReplicationTimeoutError
from webapp.jobs.record import JobRecord
from webapp.jobs.states import JobStatus
from webapp.jobs.store import Claim, JobStore

ONE_REPLICA = WaitPolicy(replicas=1, timeout_ms=100)


def _submit(store: JobStore) -> str:
    return service.submit(store, {"slate_id": "noop", "players": valid_players()}).run_id


def _running(store: JobStore) -> Claim:
    _submit(store)
    claim = store.claim_next("owner")
    assert claim is not None
    return claim


def _lose(store: JobStore, run_id: str) -> None:
    """What a restart from a snapshot taken before the submit leaves: nothing of the job."""
    store.redis.delete(store.keys.job(run_id), store.keys.tombstone(run_id))
    store.redis.zrem(store.keys.leases, run_id)


def test_a_job_redis_lost_is_written_back_by_its_heartbeat(store: JobStore) -> None:
    """The heartbeat finds the record gone and writes it back from the claim: running again
    under the same token, with its lease; the attempt is not told it lost the job."""
    claim = _running(store)
    run_id = claim.record.run_id
    _lose(store, run_id)

    renewal = store.renew_leases("owner", [claim])

    assert (renewal.lost, renewal.restored) == ([], [run_id])
    record = store.get(run_id)
    assert (record.status, record.claim, record.attempts) == (JobStatus.RUNNING, claim.token, 1)
    assert store.lease_expiry_ms(run_id) is not None


def test_an_attempt_goes_on_until_its_job_is_written_back(store: JobStore) -> None:
    """Before the heartbeat writes the record back, progress is not refused (the attempt goes
    on) and the finish asks to be tried again; after it, the finish is accepted."""
    claim = _running(store)
    run_id = claim.record.run_id
    _lose(store, run_id)

    assert store.report_progress(run_id, claim.token, 0.5, "building") is True
    with pytest.raises(JobVanishedError):
        store.complete(run_id, claim.token, {"lineups": []})
    store.renew_leases("owner", [claim])
    store.complete(run_id, claim.token, {"lineups": []})

    assert store.get_result(run_id)[1] == {"lineups": []}


def test_an_expired_job_is_not_written_back(store: JobStore) -> None:
    """A record gone while its tombstone stays has expired: the attempt has lost it."""
    claim = _running(store)
    run_id = claim.record.run_id
    store.redis.delete(store.keys.job(run_id))

    renewal = store.renew_leases("owner", [claim])

    assert (renewal.lost, renewal.restored) == ([run_id], [])
    assert not store.redis.exists(store.keys.job(run_id))


def test_a_written_back_job_keeps_its_idempotency_key(store: JobStore) -> None:
    """The Idempotency-Key lost with the job is written back too: a retry finds the job."""
    job_input = {"slate_id": "noop", "players": valid_players()}
    run_id = service.submit(store, job_input, idempotency_key="order-9").run_id
    claim = store.claim_next("owner")
    _lose(store, run_id)
    store.redis.delete(store.keys.idempotency("order-9"))

    store.renew_leases("owner", [claim])
    replay = service.submit(store, job_input, idempotency_key="order-9")

    assert (replay.run_id, replay.created) == (run_id, False)


def test_a_job_redis_lost_is_written_back_pending_by_its_hand_back(store: JobStore) -> None:
    """A drain hands back an attempt whose job Redis lost: written back from the claim as
    pending, uncharged, at its place on its tenant's queue, with its tombstone and no lease."""
    origin = service.Origin(tenant="alice")
    job_input = {"slate_id": "noop", "players": valid_players()}
    run_id = service.submit(store, job_input, origin=origin).run_id
    newer = service.submit(store, job_input, origin=origin).run_id
    claim = store.claim_next("owner")
    assert claim is not None and claim.record.run_id == run_id
    _lose(store, run_id)

    assert store.hand_back(run_id, claim.token, claim=claim)

    record = store.get(run_id)
    assert (record.status, record.claim, record.owner) == (JobStatus.PENDING, None, None)
    assert (record.input, record.tenant) == (job_input, "alice")
    assert (record.attempts, record.handbacks, record.failed_attempts) == (1, 1, 0)
    assert store.lease_expiry_ms(run_id) is None
    assert store.redis.exists(store.keys.tombstone(run_id))
    assert [store.claim_next("other").record.run_id for _ in range(2)] == [run_id, newer]


def test_a_hand_back_without_the_claim_writes_nothing_back(store: JobStore) -> None:
    """Without the claim's fields (an operator's requeue) a job Redis lost stays lost, and an
    expired job (its tombstone left) is not written back even with them."""
    lost, expired = _running(store), _running(store)
    _lose(store, lost.record.run_id)
    store.redis.delete(store.keys.job(expired.record.run_id))

    assert not store.hand_back(lost.record.run_id, lost.token)
    assert not store.hand_back(expired.record.run_id, expired.token, claim=expired)

    assert not store.redis.exists(store.keys.job(lost.record.run_id))
    assert not store.redis.exists(store.keys.job(expired.record.run_id))


def test_a_hand_back_written_back_keeps_its_idempotency_key(store: JobStore) -> None:
    """The Idempotency-Key lost with the job is written back with it: a retry finds the job."""
    job_input = {"slate_id": "noop", "players": valid_players()}
    run_id = service.submit(store, job_input, idempotency_key="order-7").run_id
    claim = store.claim_next("owner")
    _lose(store, run_id)
    store.redis.delete(store.keys.idempotency("order-7"))

    store.hand_back(run_id, claim.token, claim=claim)
    replay = service.submit(store, job_input, idempotency_key="order-7")

    assert (replay.run_id, replay.created) == (run_id, False)


def test_a_claim_whose_reply_was_lost_is_given_back(store: JobStore) -> None:
    """Asked by its token, the claim's job goes back to the queue uncharged; a token that took
    nothing gives back nothing."""
    claim = _running(store)
    run_id = claim.record.run_id

    assert store.give_back_claim("never-claimed") is None
    assert store.give_back_claim(claim.token) == run_id

    record = store.get(run_id)
    assert (record.status, record.handbacks, record.failed_attempts) == ("pending", 1, 0)
    assert store.give_back_claim(claim.token) is None


def test_a_finish_sent_again_is_accepted_once(store: JobStore) -> None:
    """The same attempt's finish sent again (its reply, or its WAIT, failed) changes nothing."""
    claim = _running(store)
    run_id = claim.record.run_id
    store.complete(run_id, claim.token, {"n": 1})

    store.complete(run_id, claim.token, {"n": 2})

    assert store.get_result(run_id)[1] == {"n": 1}


def test_an_unconfirmed_job_is_not_claimed(store: JobStore) -> None:
    """A job submitted with a WAIT policy is held until its submit confirms it: a job Redis
    lost before the confirmation is not accepted, and nothing claims it meanwhile."""
    run_id = _submit_held(store)

    assert store.claim_next("owner") is None
    store.redis.delete(store.keys.job(run_id))
    with pytest.raises(ReplicationTimeoutError):
        store._accept(run_id, "", 1, ONE_REPLICA)


def test_a_confirmed_job_is_claimed_at_once(store: JobStore) -> None:
    """Confirmed, the held job is due at its submit time and claimable."""
    run_id = _submit_held(store)

    store._accept(run_id, "", 1, ONE_REPLICA)

    claim = store.claim_next("owner")
    assert claim is not None and claim.record.run_id == run_id


def test_a_job_claimed_after_its_hold_is_no_longer_unconfirmed(store: JobStore) -> None:
    """A job whose submitter never confirmed it runs once its hold is over; claimed, it stands
    (a replay of its Idempotency-Key must not be sent through WAIT and CONFIRM again)."""
    run_id = _submit_held(store, hold_ms=1)
    wait_until(lambda: store.claim_next("owner"), 2.0, message="the held job was not claimed")

    assert store.redis.hget(store.keys.job(run_id), "status") == b"running"
    assert store.redis.hget(store.keys.job(run_id), "unconfirmed_until_ms") is None


def test_an_unconfirmed_job_is_withdrawn_once(store: JobStore) -> None:
    """Too few replicas: the job is withdrawn; the same withdraw sent again finds nothing and
    the submit still does not stand."""
    run_id = _submit_held(store)

    with pytest.raises(ReplicationTimeoutError):
        store._accept(run_id, "", 0, ONE_REPLICA)

    assert store._withdraw(run_id, "") == "missing"
    assert not store.redis.exists(store.keys.job(run_id))


def _submit_held(store: JobStore, hold_ms: int = 60_000) -> str:
    """Submit as a WAITing submitter does, without running its WAIT (fakeredis has none)."""
    record = JobRecord(
        run_id=service.new_run_id(), kind="optimize", status=JobStatus.PENDING, input={}
    )
    fields = [item for pair in record.to_hash().items() for item in pair]
    outcome, _ = store._run(
        scripts.SUBMIT,
        record.run_id,
        idempotency="",
        digest="",
        hold_ms=hold_ms,
        fields=fields,
        **store._limit_inputs(None, None),
    )
    assert outcome == b"created"
    return record.run_id
