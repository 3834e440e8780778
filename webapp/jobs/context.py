"""What a running job sees: its progress reporter, its checkpoint, and whether it was fenced."""

from __future__ import annotations

import threading
import time
from typing import Any

import structlog

from webapp.jobs.errors import JobCancelledError, is_transient_redis_error
from webapp.jobs.store import Claim, JobStore

log = structlog.get_logger(__name__)

# How often the resume state a compute process sends is written to Redis (seconds); it is also
# written when the attempt is handed back or its process dies.
CHECKPOINT_EVERY_S = 5.0


class JobCheckpoint:
    """Resume state of one job in Redis; `load`/`save` as the optimizer expects."""

    def __init__(self, store: JobStore, run_id: str, token: str) -> None:
        self._store = store
        self._run_id = run_id
        self._token = token
        self._lock = threading.Lock()
        self._held: dict[str, Any] | None = None
        self._saved_at = time.monotonic()

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

    def keep(self, state: dict[str, Any]) -> None:
        """Hold the latest `state` of a compute process; written by `save_if_due` or `flush`."""
        with self._lock:
            self._held = state

    def save_if_due(self) -> None:
        """Write the held state when CHECKPOINT_EVERY_S has passed since the last write."""
        if self._held is not None and time.monotonic() - self._saved_at >= CHECKPOINT_EVERY_S:
            self.flush()

    def flush(self) -> None:
        """Write the held state now, if there is one not yet written (before a hand-back)."""
        with self._lock:
            state, self._held = self._held, None
            self._saved_at = time.monotonic()
            if state is not None:
                self.save(state)


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

    def raise_if_not_owned(self) -> None:
        """Raise JobCancelledError if the job was cancelled, handed back or reclaimed, asking
        Redis (a compute process that reports no progress is checked this way)."""
        self.raise_if_cancelled()
        try:
            owned = self._store.owns(self.run_id, self._token)
        except Exception as error:
            if not is_transient_redis_error(error):
                raise
            return  # out of reach: the heartbeat decides, as for progress
        if not owned:
            self.cancelled.set()
            raise JobCancelledError(self.run_id)

    def raise_if_cancelled(self) -> None:
        """Raise JobCancelledError if the job was handed back or reclaimed meanwhile."""
        if self.cancelled.is_set():
            raise JobCancelledError(self.run_id)
