"""A drain: wait for this process's running attempts until a deadline, then hand back the rest
to the queue (uncharged), so another process runs them at once instead of after a lease."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

from webapp.jobs.events import JobEvents
from webapp.jobs.running import RunningJob, RunningJobs
from webapp.jobs.store import JobStore

log = structlog.get_logger(__name__)


@dataclass
class Drain:
    """The drain of one process; `hurry` (signal-handler safe: no lock) cuts its wait short."""

    store_factory: Callable[[], JobStore]
    running: RunningJobs
    events: Callable[[], JobEvents]
    _deadline: float = field(default=float("inf"), init=False)

    def run(self, deadline: float) -> list[RunningJob]:
        """Wait until nothing runs or `deadline` (monotonic); hand back and return the rest."""
        self._deadline = min(self._deadline, deadline)
        stragglers = self.running.wait_idle(lambda: self._deadline)
        for job in stragglers:
            self._hand_back(job)
        return stragglers

    def hurry(self) -> None:
        """Move the deadline to now: the waiting drain hands back what still runs."""
        self._deadline = time.monotonic()

    def _hand_back(self, job: RunningJob) -> None:
        record = job.claim.record
        job.context.cancelled.set()
        try:
            job.context.checkpoint.flush()  # the latest state of a compute process, if any
            handed_back = self.store_factory().hand_back(record.run_id, job.claim.token)
        except Exception as error:
            handed_back = False
            log.error("job_hand_back_failed", job_id=record.run_id, error=str(error))
        self.events().attempt_ended("handed_back")
        log.warning(
            "job_handed_back",
            job_id=record.run_id,
            request_id=record.request_id,
            attempt=job.claim.attempt,
            age_s=round(time.monotonic() - job.started, 1),
            handed_back=handed_back,
        )
