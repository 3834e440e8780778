"""Every Redis key name the service uses, computed in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Keys:
    """Key names under one prefix, so several deployments can share a Redis."""

    prefix: str

    def job(self, run_id: str) -> str:
        """Hash holding the job record."""
        return f"{self.prefix}:job:{run_id}"

    def result(self, run_id: str) -> str:
        """String holding the (possibly compressed) JSON result."""
        return f"{self.prefix}:job:{run_id}:result"

    def checkpoint(self, run_id: str) -> str:
        """String holding the optimizer's resume state for the current attempt."""
        return f"{self.prefix}:job:{run_id}:checkpoint"

    def tombstone(self, run_id: str) -> str:
        """Small key that outlives the record, so an expired job reads as 410, not 404."""
        return f"{self.prefix}:tomb:{run_id}"

    def idempotency(self, key_digest: str) -> str:
        """Maps an Idempotency-Key (hashed) to the run it created and the body's digest."""
        return f"{self.prefix}:idem:{key_digest}"

    @property
    def pending(self) -> str:
        """Sorted set of pending run ids, scored by enqueue time (ms): the global queue."""
        return f"{self.prefix}:queue:pending"

    @property
    def leases(self) -> str:
        """Sorted set of running run ids, scored by lease expiry (ms)."""
        return f"{self.prefix}:queue:leases"

    @property
    def wake(self) -> str:
        """List used only to wake idle dispatchers when a job is queued."""
        return f"{self.prefix}:queue:wake"

    @property
    def workers(self) -> str:
        """Hash of worker processes (owner -> JSON with their last heartbeat), for operators."""
        return f"{self.prefix}:workers"

    def job_pattern(self) -> str:
        """SCAN pattern matching job record keys (not results or checkpoints)."""
        return f"{self.prefix}:job:*"
