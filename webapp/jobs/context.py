"""What a running job sees: its progress reporter, its checkpoint, and whether it was fenced."""

from __future__ import annotations

import threading
from typing import Any

import structlog

from webapp.jobs.errors import JobCancelledError, is_transient_redis_error
from webapp.jobs.store import Claim, JobStore

log = structlog.get_logger(__name__)


class JobCheckpoint:
    """Resume state of one job in Redis; `load`/`save` as the optimizer expects."""

    def __init__(self, store: JobStore, run_id: str, token: str) -> None:
        self._store = store
        self._run_id = run_id
        self._token = token

    def load(self) -> dict[str, Any] | None:
        """The state saved by an earlier attempt, or None."""
        return self._store.load_checkpoint(self._run_id)

    def save(self, state: dict[str, Any]) -> None:
        """Keep `state` so a later attempt can resume from it (best effort during an outage)."""
        try:
            self._store.save_checkpoint(self._run_id, self._token, state)
        except Exception as error:
            if not is_transient_redis_error(error):
                raise
            log.warning("job_checkpoint_not_saved", error=str(error))


class JobContext:
    """Handed to a job function; every write it makes is fenced by the attempt's claim token."""

    def __init__(self, store: JobStore, claim: Claim) -> None:
        self.run_id = claim.record.run_id
        self.attempt = claim.attempt
        self.cancelled = threading.Event()
        self.checkpoint = JobCheckpoint(store, self.run_id, claim.token)
        self._store = store
        self._token = claim.token

    def progress(self, fraction: float, phase: str = "") -> None:
        """Record progress; raises JobCancelledError once this attempt has lost the job.

        Progress is best effort: while Redis is unreachable the job keeps running (its result
        is written with retries at the end), so a lost progress write is logged, not raised.
        """
        self.raise_if_cancelled()
        try:
            owned = self._store.report_progress(self.run_id, self._token, fraction, phase)
        except Exception as error:
            if not is_transient_redis_error(error):
                raise
            log.warning("job_progress_not_saved", attempt=self.attempt, error=str(error))
            return
        if not owned:
            self.cancelled.set()
            raise JobCancelledError(self.run_id)

    def raise_if_cancelled(self) -> None:
        """Raise JobCancelledError if the job was handed back or reclaimed meanwhile."""
        if self.cancelled.is_set():
            raise JobCancelledError(self.run_id)
