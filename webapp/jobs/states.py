"""The job state machine: allowed transitions in one table, no I/O.

pending -> running -> complete | failed, and running -> pending (a hand-back at shutdown or a
recovery after a crash). running -> failed also covers "out of attempts". `expired` is not stored:
it is what a job reads as once its record is gone and only the tombstone remains.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final


class JobStatus(StrEnum):
    """Where a job is in its life."""

    PENDING = "pending"
    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"
    EXPIRED = "expired"


TRANSITIONS: Final[Mapping[JobStatus, frozenset[JobStatus]]] = MappingProxyType(
    {
        JobStatus.PENDING: frozenset({JobStatus.RUNNING}),
        # PENDING from RUNNING is a hand-back (drain) or a reclaim (crash recovery).
        JobStatus.RUNNING: frozenset({JobStatus.COMPLETE, JobStatus.FAILED, JobStatus.PENDING}),
        JobStatus.COMPLETE: frozenset(),
        JobStatus.FAILED: frozenset(),
        JobStatus.EXPIRED: frozenset(),
    }
)

TERMINAL: Final[frozenset[JobStatus]] = frozenset(
    status for status, targets in TRANSITIONS.items() if not targets
)


class TransitionRefusedError(Exception):
    """A status change that the state machine or the stored state does not allow."""

    def __init__(self, current: JobStatus | str | None, new: JobStatus | str) -> None:
        self.current = current
        self.new = new
        super().__init__(f"job cannot go from {current} to {new}")


def is_allowed(current: JobStatus, new: JobStatus) -> bool:
    """Tell whether TRANSITIONS allows current -> new."""
    return new in TRANSITIONS[current]


def check_transition(current: JobStatus, new: JobStatus) -> None:
    """Raise TransitionRefusedError unless TRANSITIONS allows current -> new."""
    if not is_allowed(current, new):
        raise TransitionRefusedError(current, new)
