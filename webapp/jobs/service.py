"""Use cases the HTTP views call: submit a job, read its status, read its result. No Flask here."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from webapp.clock import now_iso
from webapp.ids import new_ulid
from webapp.jobs.durability import WaitPolicy
from webapp.jobs.errors import JobExpiredError, JobNotFoundError, ResultNotReadyError
from webapp.jobs.limits import Limits
from webapp.jobs.record import JobRecord
from webapp.jobs.states import JobStatus
from webapp.jobs.store import JobStore, Submission


@dataclass(frozen=True)
class Origin:
    """Who asked for a job: carried on the record so job logs can be tied to the request."""

    request_id: str | None = None
    user_id: str | None = None
    tenant: str | None = None


def new_run_id() -> str:
    """A fresh run id (a ULID: time-ordered, URL-safe)."""
    return new_ulid()


def submit(
    store: JobStore,
    job_input: dict[str, Any],
    *,
    kind: str = "optimize",
    origin: Origin = Origin(),
    idempotency_key: str | None = None,
    wait: WaitPolicy | None = None,
    request: dict[str, Any] | None = None,
    limits: Limits | None = None,
) -> Submission:
    """Store and queue a new job for `job_input` (already validated); Idempotency-Keys are
    scoped to the origin's user when there is one and tie the key to `request`, the request
    as sent (default: `job_input`; they differ when the players come from a slate);
    `wait` as for JobStore.submit."""
    now = now_iso()
    record = JobRecord(
        run_id=new_run_id(),
        kind=kind,
        status=JobStatus.PENDING,
        input=job_input,
        metadata=describe_input(job_input),
        created_at=now,
        updated_at=now,
        request_id=origin.request_id,
        user_id=origin.user_id,
        tenant=origin.tenant,
    )
    return store.submit(
        record,
        idempotency_key=idempotency_key,
        user_id=origin.user_id,
        wait=wait,
        request=request,
        limits=limits,
    )


def describe_input(job_input: dict[str, Any]) -> dict[str, Any]:
    """The metadata kept beside the input: what an operator filters and sorts jobs by."""
    players = job_input.get("players")
    return {
        "slate_id": job_input.get("slate_id"),
        "sport": job_input.get("sport"),
        "n_scenarios": job_input.get("n_scenarios"),
        "n_lineups": job_input.get("n_lineups"),
        "n_players": len(players) if players is not None else None,
    }


def owned(record: JobRecord, tenant: str | None) -> JobRecord:
    """`record` when `tenant` may see it (its owner, or anyone when tenant is None: AUTH_MODE
    none); JobNotFoundError otherwise, so another tenant's job reads as if it did not exist."""
    if tenant is not None and record.tenant != tenant:
        raise JobNotFoundError(record.run_id)
    return record


@contextmanager
def _expired_as_seen_by(tenant: str | None) -> Iterator[None]:
    """Another tenant's expired job raises JobNotFoundError, as its live job does (`owned`):
    a 410 would tell a caller that a job of that id existed. So does a tombstone that names
    no owner (written before tombstones did), for every tenant."""
    try:
        yield
    except JobExpiredError as expired:
        if tenant is not None and not (expired.owner_known and expired.tenant == tenant):
            raise JobNotFoundError(expired.run_id) from None
        raise


def status(
    store: JobStore, run_id: str, *, with_input: bool = False, tenant: str | None = None
) -> JobRecord:
    """The job's record, its input read only when asked for (raises JobNotFoundError /
    JobExpiredError, and JobNotFoundError for another tenant's job, live or expired)."""
    with _expired_as_seen_by(tenant):
        return owned(store.get(run_id, with_input=with_input), tenant)


def result(store: JobStore, run_id: str, *, tenant: str | None = None) -> tuple[JobRecord, Any]:
    """The result of a complete job of `tenant`; ResultNotReadyError otherwise."""
    with _expired_as_seen_by(tenant):
        record, value = store.get_result(run_id)
    owned(record, tenant)
    if record.status is not JobStatus.COMPLETE:
        raise ResultNotReadyError(record)
    return record, value
