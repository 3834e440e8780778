"""The leases of running attempts: renewed by their process's heartbeat, reclaimed by recovery
once they run out (scored by Redis's clock, so skewed hosts agree)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from webapp.clock import now_iso
from webapp.jobs import scripts
from webapp.jobs.keys import CHECKPOINT_SUFFIX, NOTIFY_SUFFIX
from webapp.jobs.states import JobStatus
from webapp.jobs.store_base import StoreBase


class Leases(StoreBase):
    """Lease renewal and expired-lease recovery."""

    def renew_leases(self, owner: str, attempts: Iterable[tuple[str, str]]) -> list[str]:
        """Extend the leases of (run_id, token) attempts; return the run ids they have lost."""
        head: list[Any] = [self.keys.job_prefix, self.lease_ms, owner, now_iso(), NOTIFY_SUFFIX]
        pairs = [item for run_id, token in attempts for item in (run_id, token)]
        if not pairs:
            return []
        keys = [self.keys.leases, self.keys.pending]
        lost = self._scripts[scripts.HEARTBEAT](keys=keys, args=head + pairs)
        return [run_id.decode() for run_id in lost]

    def server_time_ms(self) -> int:
        """Redis's clock, in milliseconds (the clock leases are scored by)."""
        seconds, micros = self.redis.time()
        return seconds * 1000 + micros // 1000

    def reclaim_expired(
        self, limit: int = 100, *, not_after_ms: int | None = None
    ) -> list[tuple[str, JobStatus]]:
        """Requeue (or fail, past max_attempts) every running job whose lease ran out; nothing
        when Redis runs the scan after `not_after_ms` (its clock): it was held up."""
        flat = self._scripts[scripts.RECLAIM](
            keys=[self.keys.leases, self.keys.pending, self.keys.wake],
            args=[
                self.keys.job_prefix,
                self.keys.tombstone_prefix,
                CHECKPOINT_SUFFIX,
                self.max_attempts,
                now_iso(),
                self.ttl_seconds,
                self.tombstone_ttl_seconds,
                limit,
                "" if not_after_ms is None else not_after_ms,
                NOTIFY_SUFFIX,
            ],
        )
        return [
            (run_id.decode(), JobStatus(outcome.decode()))
            for run_id, outcome in zip(flat[::2], flat[1::2], strict=True)
        ]
