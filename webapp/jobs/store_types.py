"""What JobStore takes and returns, and the errors it raises: plain values, no Redis."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

from webapp.jobs.record import JobRecord


class JobNotFoundError(LookupError):
    """No job with this id ever existed (or its tombstone is gone too)."""


class JobExpiredError(LookupError):
    """The job existed but its record has expired."""


class IdempotencyConflictError(Exception):
    """The Idempotency-Key was used before with a different request body.

    Carries no run id: the key may be someone else's, and their run id guards their job."""

    def __init__(self) -> None:
        super().__init__("this Idempotency-Key was already used with a different request body")


@dataclass(frozen=True)
class Claim:
    """A job this process has started: its token fences every write made for this attempt."""

    record: JobRecord
    token: str

    @property
    def attempt(self) -> int:
        """Which start of the job this is (1 for the first)."""
        return self.record.attempts


def new_claim_token() -> str:
    """A random claim token: unlike a counter, Redis cannot hand it out twice after a rollback."""
    return secrets.token_hex(12)


@dataclass(frozen=True)
class Submission:
    """What submit did: created a new job, or found the one this idempotency key made."""

    run_id: str
    created: bool


@dataclass(frozen=True)
class QueueStats:
    """Global queue figures, for readiness and operators."""

    pending: int
    running: int
    oldest_pending_age_s: float | None


def body_digest(body: Any) -> str:
    """A stable digest of a request body (canonical JSON)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
