"""JobStore on fakeredis: tenants take turns at the queue, and a tenant's running limit."""

from __future__ import annotations

import time

import pytest

from tests.conftest import valid_players
from webapp.jobs import service
from webapp.jobs.durability import WaitPolicy
from webapp.jobs.errors import ReplicationTimeoutError
from webapp.jobs.limits import Limits
from webapp.jobs.service import Origin
from webapp.jobs.states import JobStatus
from webapp.jobs.store import JobStore

ONE_REPLICA = WaitPolicy(replicas=1, timeout_ms=100)


def _limits(max_running: int = 100) -> Limits:
    return Limits(max_pending=100, max_running=max_running, rate_per_s=1000.0, burst=1000)


def _submit(store: JobStore, tenant: str | None, max_running: int = 100) -> str:
    limits = _limits(max_running) if tenant else None
    job_input = {"slate_id": "noop", "players": valid_players()}
    time.sleep(0.002)  # queued in a later millisecond: the queue orders a tie by run id
    return service.submit(store, job_input, origin=Origin(tenant=tenant), limits=limits).run_id


def _claimed(store: JobStore, count: int) -> list[str]:
    return [store.claim_next("owner").record.run_id for _ in range(count)]


def test_tenants_take_turns_each_in_its_own_order(store: JobStore) -> None:
    """Two tenants' jobs are claimed alternately; each tenant's jobs first in, first out."""
    a_jobs = [_submit(store, "a") for _ in range(3)]
    b_jobs = [_submit(store, "b") for _ in range(3)]

    order = _claimed(store, 6)

    assert order == [a_jobs[0], b_jobs[0], a_jobs[1], b_jobs[1], a_jobs[2], b_jobs[2]]


def test_a_late_tenant_goes_before_the_busy_one(store: JobStore) -> None:
    """Tenant B's one job, queued behind tenant A's twelve while A runs, is the next claimed."""
    a_jobs = [_submit(store, "a") for _ in range(12)]
    first = store.claim_next("owner").record.run_id
    b_job = _submit(store, "b")

    assert first == a_jobs[0]
    assert _claimed(store, 2) == [b_job, a_jobs[1]]


def test_jobs_without_a_tenant_keep_their_order(store: JobStore) -> None:
    """Without tenants (AUTH_MODE=none) jobs are claimed first in, first out, as before."""
    jobs = [_submit(store, None) for _ in range(4)]

    assert _claimed(store, 4) == jobs
    assert store.claim_next("owner") is None


def test_a_handed_back_job_keeps_its_place_in_its_tenant_queue(store: JobStore) -> None:
    """A hand-back puts the job back first in its tenant's queue, still taking turns."""
    a_jobs = [_submit(store, "a") for _ in range(2)]
    b_job = _submit(store, "b")
    claim = store.claim_next("owner")
    store.hand_back(claim.record.run_id, claim.token)

    assert _claimed(store, 3) == [b_job, a_jobs[0], a_jobs[1]]


def test_a_cancelled_job_leaves_its_tenant_queue(store: JobStore) -> None:
    """A cancelled pending job is never claimed; the tenant's next job is."""
    first, second = _submit(store, "a"), _submit(store, "a")
    store.cancel(first, "cancelled by its client")

    assert _claimed(store, 1) == [second]
    assert store.claim_next("owner") is None
    assert store.queue_stats().pending == 0


def test_a_tenant_at_its_running_limit_is_skipped(store: JobStore) -> None:
    """A tenant with max_running jobs running gets no more until one ends; others do."""
    a_jobs = [_submit(store, "a", max_running=1) for _ in range(3)]
    b_jobs = [_submit(store, "b") for _ in range(2)]

    running = store.claim_next("owner")
    assert running.record.run_id == a_jobs[0]
    assert _claimed(store, 2) == b_jobs
    assert store.claim_next("owner") is None  # only A's jobs left, and A is at its limit
    store.complete(a_jobs[0], running.token, {"done": True})
    assert _claimed(store, 1) == [a_jobs[1]]


def test_a_requeued_job_counts_no_longer_as_running(store: JobStore) -> None:
    """A job handed back frees its tenant's running slot at once."""
    first, second = _submit(store, "a", max_running=1), _submit(store, "a", max_running=1)
    claim = store.claim_next("owner")
    store.hand_back(first, claim.token)

    assert _claimed(store, 1) == [first]
    assert store.claim_next("owner") is None
    assert store.get(second).status == JobStatus.PENDING


def test_a_withdrawn_job_leaves_its_tenant_queue(real_store: JobStore) -> None:
    """A submit no replica confirmed (real Redis: WAIT) is withdrawn from the global and the
    tenant queues."""
    job_input = {"slate_id": "noop", "players": valid_players()}
    with pytest.raises(ReplicationTimeoutError):
        service.submit(
            real_store, job_input, origin=Origin(tenant="a"), limits=_limits(), wait=ONE_REPLICA
        )

    assert real_store.redis.zcard(real_store.keys.tenant_queue("a")) == 0
    assert real_store.queue_stats().pending == 0 and real_store.claim_next("owner") is None


def test_recovery_and_an_operator_retry_queue_a_job_in_its_tenant_turn(store: JobStore) -> None:
    """A job requeued by recovery, and a failed one an operator retries, go back on their
    tenant's queue and are claimed in its turn."""
    crashed, other = _submit(store, "a"), _submit(store, "b")
    store.claim_next("gone:1")
    store.redis.zadd(store.keys.leases, {crashed: 0})  # its process died
    store.reclaim_expired()

    assert store.redis.zscore(store.keys.tenant_queue("a"), crashed) is not None
    assert _claimed(store, 2) == [other, crashed]
    store.cancel(crashed, "by an operator", code="operator")
    store.retry_failed(crashed)
    assert _claimed(store, 1) == [crashed]
