"""Heartbeat and recovery: what each process's maintenance thread does on every tick.

The heartbeat renews the leases of this process's running attempts, writes back the jobs Redis
lost while they ran, and cancels the attempts that lost their job. Recovery requeues the jobs of
processes that died without a word (their leases ran out), but only once this process has seen
Redis steady for one and a half leases, from its start or from its last trouble (see
`reachability`).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field

import structlog

from webapp.jobs.events import JobEvents
from webapp.jobs.reachability import Reachability
from webapp.jobs.running import RunningJobs
from webapp.jobs.states import JobStatus
from webapp.jobs.store import JobStore

log = structlog.get_logger(__name__)


@dataclass
class Maintenance:
    """Lease renewal and crash recovery for one process."""

    store_factory: Callable[[], JobStore]
    reachability: Reachability
    running: RunningJobs
    _: KW_ONLY
    owner: str
    lease_seconds: float
    recovery_scan_seconds: float
    events: JobEvents
    # Due at start-up (where it first waits for Redis to be steady), then periodically.
    _next_scan: float = field(default_factory=time.monotonic, init=False)

    def loop(self, stop_requested: threading.Event, stopped: threading.Event) -> None:
        """Heartbeat (and recover, while taking jobs) until `stopped`: a drain keeps renewing."""
        heartbeat_s = max(self.lease_seconds / 3, 0.05)  # three heartbeats a lease
        while not stopped.is_set():
            try:
                self.renew()
                if not stop_requested.is_set():
                    self.recover_if_due()
            except Exception as error:
                self.reachability.absorb(error, self.events)
                log.warning("job_maintenance_failed", error=str(error))
            stopped.wait(min(heartbeat_s, max(self.seconds_to_next_scan(), 0.05)))

    def renew(self) -> None:
        """Extend the leases of the running jobs, write back those Redis lost, and cancel the
        ones whose attempt lost its job."""
        jobs = self.running.snapshot()
        if not jobs:
            return
        started = time.monotonic()
        renewal = self.store_factory().renew_leases(self.owner, (j.claim for j in jobs))
        self.reachability.took(started)
        for run_id in renewal.restored:
            log.warning("job_record_restored", job_id=run_id, reason="redis lost the running job")
        lost = set(renewal.lost)
        for job in jobs:
            run_id = job.run_id
            # A job that ended while the heartbeat ran is not lost, just done.
            if (
                run_id in lost
                and self.running.is_current(job)
                and not job.context.cancelled.is_set()
            ):
                job.context.cancelled.set()
                log.warning("job_lease_lost", job_id=run_id, attempt=job.claim.attempt)

    def recover_if_due(self) -> None:
        """Requeue the jobs of dead processes, when a scan is due and Redis has been steady."""
        if time.monotonic() < self._next_scan:
            return
        store = self.store_factory()
        # Reading Redis's clock is also this process's first answer after a start or trouble.
        # Steady after reading it, and the scan bound to run soon after: a Redis that stalls
        # at any point in between makes the scan a no-op.
        started = time.monotonic()
        server_ms = store.server_time_ms()
        self.reachability.took(started)
        if not self.reachability.is_steady():
            log.info("job_recovery_deferred", reason="redis not yet steady for 1.5 leases")
            self._next_scan = time.monotonic() + self.reachability.steady_after_s / 3
            return
        not_after_ms = server_ms + int(self.reachability.stall_s * 1000)
        for run_id, outcome in store.reclaim_expired(not_after_ms=not_after_ms):
            log.warning("job_reclaimed", job_id=run_id, outcome=str(outcome))
            self.events.reclaimed(str(outcome), self._tenant(store, outcome, run_id))
        self._next_scan = time.monotonic() + self.recovery_scan_seconds * random.uniform(0.8, 1.2)

    @staticmethod
    def _tenant(store: JobStore, outcome: JobStatus, run_id: str) -> str | None:
        """The tenant of a job recovery failed (read only then: the one count that needs it)."""
        if outcome is not JobStatus.FAILED:
            return None
        [(tenant,)] = store.read_fields([run_id], ["tenant"])
        return tenant.decode() if tenant else None

    def seconds_to_next_scan(self) -> float:
        """How long until recovery is due again."""
        return max(self._next_scan - time.monotonic(), 0.0)
