"""How many replicas must hold a job before its submit is acknowledged (Redis WAIT)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WaitPolicy:
    """WAIT for `replicas` replicas, at most `timeout_ms` milliseconds."""

    replicas: int
    timeout_ms: int


class ReplicationTimeoutError(Exception):
    """Too few replicas confirmed a new job in time; it was withdrawn, not accepted."""

    def __init__(self, acked: int, wait: WaitPolicy) -> None:
        self.acked = acked
        self.wait = wait
        super().__init__(
            f"{acked} of {wait.replicas} replica(s) confirmed the job within {wait.timeout_ms} ms"
        )
