"""Operator views of jobs and repairs of stuck ones, on top of the store's admin part."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from webapp.clock import from_iso, utcnow
from webapp.jobs.errors import TransitionRefusedError
from webapp.jobs.record import JobRecord
from webapp.jobs.states import JobStatus
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


def list_jobs(
    store: JobStore, status: JobStatus | None = None, limit: int = 100
) -> list[JobSummary]:
    """Jobs in a state (all states when None), oldest first for pending/running."""
    found: list[JobSummary] = []
    for values in store.read_fields(store.run_ids(status, limit), _SUMMARY_FIELDS):
        summary = _summary(values)
        if summary and (status is None or summary.status == status):
            found.append(summary)
        if len(found) >= limit:
            break
    return found


def show_job(store: JobStore, run_id: str) -> dict[str, Any]:
    """Everything about one job, with the lease and whether a result is stored."""
    record = store.get(run_id)
    document = record.to_status_document(with_input=True)
    document["owner"] = record.owner
    document["tenant"] = record.tenant
    document["handbacks"] = record.handbacks
    document["failed_attempts"] = record.failed_attempts
    document["lease_expires_ms"] = store.lease_expiry_ms(run_id)
    document["has_result"] = store.has_result(run_id)
    document["retryable"] = store.is_retryable(record)
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
