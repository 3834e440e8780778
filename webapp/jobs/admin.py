"""Operator actions on jobs, safe while the service runs (same compare-and-set rules)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from webapp.clock import from_iso, utcnow
from webapp.jobs.record import JobRecord
from webapp.jobs.states import JobStatus, TransitionRefusedError
from webapp.jobs.store import JobStore

# Fields an overview needs; the input and metadata blobs are left in Redis.
_SUMMARY_FIELDS = ("run_id", "status", "attempts", "created_at", "updated_at", "owner", "error")


@dataclass(frozen=True)
class JobSummary:
    """One line of `jobs list`."""

    run_id: str
    status: str
    attempts: int
    age_s: float | None
    owner: str | None
    error: str | None


def _summary(values: list[bytes | None]) -> JobSummary | None:
    fields = dict(zip(_SUMMARY_FIELDS, (v.decode() if v else None for v in values), strict=True))
    if not fields["run_id"]:
        return None
    created = fields["created_at"]
    age = (utcnow() - from_iso(created)).total_seconds() if created else None
    return JobSummary(
        run_id=fields["run_id"],
        status=fields["status"] or "?",
        attempts=int(fields["attempts"] or 0),
        age_s=age,
        owner=fields["owner"],
        error=fields["error"],
    )


def run_ids(store: JobStore, status: JobStatus | None, limit: int) -> Iterator[str]:
    """Ids of jobs in `status` (pending/running: oldest first, up to `limit`; None: every
    record, by SCAN)."""
    if status is JobStatus.PENDING:
        yield from (r.decode() for r in store.redis.zrange(store.keys.pending, 0, limit - 1))
        return
    if status is JobStatus.RUNNING:
        yield from (r.decode() for r in store.redis.zrange(store.keys.leases, 0, limit - 1))
        return
    prefix = store.keys.job("")
    for key in store.redis.scan_iter(match=store.keys.job_pattern(), count=1000):
        name = key.decode()[len(prefix) :]
        if ":" not in name:  # skip :result and :checkpoint keys
            yield name


def list_jobs(
    store: JobStore, status: JobStatus | None = None, limit: int = 100
) -> list[JobSummary]:
    """Jobs in a state (all states when None), oldest first for pending/running."""
    found: list[JobSummary] = []
    for run_id in run_ids(store, status, limit):
        values = store.redis.hmget(store.keys.job(run_id), _SUMMARY_FIELDS)
        summary = _summary(values)
        if summary and (status is None or summary.status == status):
            found.append(summary)
        if len(found) >= limit:
            break
    return found


def show_job(store: JobStore, run_id: str) -> dict[str, Any]:
    """Everything about one job, with the lease and whether a result is stored."""
    record = store.get(run_id)
    document = record.to_status_document()
    document["owner"] = record.owner
    document["handbacks"] = record.handbacks
    document["failed_attempts"] = record.failed_attempts
    document["lease_expires_ms"] = store.redis.zscore(store.keys.leases, run_id)
    document["has_result"] = bool(store.redis.exists(store.keys.result(run_id)))
    return document


def requeue(store: JobStore, run_id: str) -> JobRecord:
    """Hand a running (stuck) job back to pending; refused unless it is still that attempt."""
    record = store.get(run_id)
    if record.status is not JobStatus.RUNNING or not store.hand_back(run_id, record.claim or ""):
        raise TransitionRefusedError(record.status, JobStatus.PENDING)
    return store.get(run_id)


def fail(store: JobStore, run_id: str, reason: str) -> JobRecord:
    """Fail a running (stuck) job with `reason`; refused if it moved on meanwhile."""
    record = store.get(run_id)
    if record.status is not JobStatus.RUNNING:
        raise TransitionRefusedError(record.status, JobStatus.FAILED)
    store.fail(run_id, record.claim or "", reason)
    return store.get(run_id)


def purge(store: JobStore) -> dict[str, int]:
    """Delete tombstones of expired jobs and queue/lease entries whose record is gone."""
    removed = {"tombstones": 0, "pending_entries": 0, "lease_entries": 0}
    tomb_prefix = store.keys.tombstone("")
    for key in store.redis.scan_iter(match=f"{tomb_prefix}*", count=1000):
        run_id = key.decode()[len(tomb_prefix) :]
        if not store.redis.exists(store.keys.job(run_id)):
            removed["tombstones"] += store.redis.delete(key)
    for queue, counter in (
        (store.keys.pending, "pending_entries"),
        (store.keys.leases, "lease_entries"),
    ):
        for member in store.redis.zrange(queue, 0, -1):
            if not store.redis.exists(store.keys.job(member.decode())):
                removed[counter] += store.redis.zrem(queue, member)
    return removed


def retry_failed(store: JobStore, run_id: str) -> JobRecord:
    """Queue a failed job again (an operator's retry); refused unless it is failed.

    Outside the runner's state table on purpose: only an operator sends a failed job back.
    Its attempts keep counting, so a crash budget already spent is not renewed."""
    from webapp.clock import now_iso
    from webapp.jobs.admin_scripts import RETRY_FAILED

    script = store.redis.register_script(RETRY_FAILED)
    done = script(
        keys=[
            store.keys.job(run_id),
            store.keys.pending,
            store.keys.wake,
            store.keys.tombstone(run_id),
        ],
        args=[now_iso(), run_id, store.ttl_seconds, store.tombstone_ttl_seconds],
    )
    if done != 1:
        if not done:
            store.get(run_id)  # raises JobExpiredError / JobNotFoundError
        raise TransitionRefusedError(done.decode() if isinstance(done, bytes) else done, "pending")
    return store.get(run_id)
