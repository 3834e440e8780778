"""What the dashboard shows, read from the job store: no Flask here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import islice
from typing import Any

from webapp.clock import from_iso, utcnow
from webapp.jobs.record import decode_blob, shown_phase
from webapp.jobs.states import JobStatus
from webapp.jobs.store import JobStore

# Records one page load reads at most: the dashboard stays cheap on a Redis with many jobs.
SCAN_LIMIT = 20_000
PAGE_SIZE = 25
_FIELDS = (
    "run_id",
    "status",
    "metadata",
    "attempts",
    "created_at",
    "finished_at",
    "progress",
    "phase",
    "owner",
    "error",
    "tenant",
)


@dataclass(frozen=True)
class JobRow:
    """One job in a list: what an operator scans for."""

    run_id: str
    status: str
    slate_id: str
    sport: str
    n_lineups: Any
    attempts: int
    created_at: str
    finished_at: str
    progress: float
    phase: str
    owner: str
    error: str
    tenant: str  # '' for a job of AUTH_MODE=none


@dataclass(frozen=True)
class Page:
    """One page of a job list."""

    rows: list[JobRow]
    number: int
    total: int
    truncated: bool  # the scan stopped at SCAN_LIMIT records

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


@dataclass
class LastHour:
    """Throughput and failures of the last hour."""

    submitted: int = 0
    complete: int = 0
    failed: int = 0
    failures: list[JobRow] = field(default_factory=list)
    truncated: bool = False


def _row(values: list[bytes | None]) -> JobRow | None:
    raw = dict(zip(_FIELDS, values, strict=True))
    if not raw["run_id"]:
        return None
    text = {k: (v.decode() if isinstance(v, bytes) else "") for k, v in raw.items()}
    metadata = decode_blob(raw["metadata"]) or {}
    return JobRow(
        run_id=text["run_id"],
        status=text["status"] or "?",
        slate_id=str(metadata.get("slate_id") or ""),
        sport=str(metadata.get("sport") or ""),
        n_lineups=metadata.get("n_lineups"),
        attempts=int(text["attempts"] or 0),
        created_at=text["created_at"],
        finished_at=text["finished_at"],
        progress=float(text["progress"] or 0.0),
        phase=shown_phase(text["status"], text["phase"]) or "",
        owner=text["owner"],
        error=text["error"],
        tenant=text["tenant"],
    )


def _read_rows(store: JobStore, run_ids: Iterable[str]) -> tuple[list[JobRow], bool]:
    """Rows for up to SCAN_LIMIT ids; True when more were left."""
    ids = iter(run_ids)
    values = store.read_fields(islice(ids, SCAN_LIMIT), _FIELDS)
    rows = [row for row in map(_row, values) if row is not None]
    truncated = next(ids, None) is not None
    return rows, truncated


def job_page(store: JobStore, status: JobStatus | None, query: str, number: int) -> Page:
    """Jobs in a state (all when None), newest first, matching `query` (run id or slate)."""
    rows, truncated = _read_rows(store, store.run_ids(status, SCAN_LIMIT))
    if status is not None:
        rows = [r for r in rows if r.status == status]
    needle = query.strip().lower()
    if needle:
        rows = [r for r in rows if needle in r.run_id.lower() or needle in r.slate_id.lower()]
    rows.sort(key=lambda r: r.created_at, reverse=True)
    number = max(1, number)
    start = (number - 1) * PAGE_SIZE
    return Page(rows[start : start + PAGE_SIZE], number, len(rows), truncated)


def running_jobs(store: JobStore) -> list[JobRow]:
    """Jobs holding a lease now, oldest lease first, with progress and owner."""
    rows, _ = _read_rows(store, store.run_ids(JobStatus.RUNNING, SCAN_LIMIT))
    return [r for r in rows if r.status == JobStatus.RUNNING]


def last_hour(store: JobStore) -> LastHour:
    """Jobs submitted, completed and failed in the last hour, with the failures."""
    since = utcnow() - timedelta(hours=1)
    rows, truncated = _read_rows(store, store.run_ids(None, SCAN_LIMIT))
    summary = LastHour(truncated=truncated)
    for row in rows:
        if row.created_at and from_iso(row.created_at) >= since:
            summary.submitted += 1
        if not row.finished_at or from_iso(row.finished_at) < since:
            continue
        if row.status == JobStatus.COMPLETE:
            summary.complete += 1
        elif row.status == JobStatus.FAILED:
            summary.failed += 1
            summary.failures.append(row)
    summary.failures.sort(key=lambda r: r.finished_at, reverse=True)
    return summary
