"""Where a job is in its life: the statuses, and which of them are final. No I/O.

pending -> running -> complete | failed; running -> pending when a drain or an operator hands the
attempt back, when recovery requeues it after its process died, or when a transient error sends
it back with a delay; pending or running -> failed when the client cancels; failed -> pending
when an operator retries it. Each change is one Lua script (`lua/`), which checks the stored
status itself: that check, run atomically in Redis, is the only guard, so no table of
transitions is kept beside it. `expired` is never stored: it is what a job reads as once its
record is gone and only the tombstone remains.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class JobStatus(StrEnum):
    """Where a job is in its life."""

    PENDING = "pending"
    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"
    EXPIRED = "expired"


# Statuses a job never leaves on its own (only an operator's retry sends a failed job back).
TERMINAL: Final[frozenset[JobStatus]] = frozenset(
    {JobStatus.COMPLETE, JobStatus.FAILED, JobStatus.EXPIRED}
)
