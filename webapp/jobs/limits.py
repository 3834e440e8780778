"""What one tenant may submit: the limits the submit script enforces atomically."""

from __future__ import annotations

from dataclasses import dataclass

# Seconds a tenant at its pending limit is told to wait: about the time a job takes to start.
PENDING_RETRY_AFTER_S = 5


@dataclass(frozen=True)
class Limits:
    """Queued jobs, running jobs, and submits per second with the bucket's burst."""

    max_pending: int
    max_running: int
    rate_per_s: float
    burst: int
