"""The attempts running in this process, and the claims under way that may add one.

Dispatch adds to it, the heartbeat reads it, a drain waits on it: one lock and one condition,
so a drain that starts during a claim waits for that job to be registered instead of missing it.
A claim whose reply never came is given back as the dispatcher leaves (`give_back_lost_claim`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from webapp.jobs.context import JobContext
from webapp.jobs.errors import is_transient_redis_error
from webapp.jobs.store import Claim, JobStore

log = structlog.get_logger(__name__)

# How long a dispatcher that is leaving keeps trying to give back a claim whose reply was lost.
GIVE_BACK_TIMEOUT_S = 5.0


@dataclass
class RunningJob:
    """An attempt running on one of this process's threads."""

    claim: Claim
    context: JobContext
    started: float

    @property
    def run_id(self) -> str:
        """The job's run id."""
        return self.claim.record.run_id


class RunningJobs:
    """This process's running attempts and claims in flight, safe across threads."""

    def __init__(self) -> None:
        self._changed = threading.Condition(threading.Lock())
        self._jobs: dict[str, RunningJob] = {}
        self._claims_in_flight = 0

    def begin_claim(self, may_claim: Callable[[], bool]) -> bool:
        """Count a claim as under way if `may_claim()`, checked under the lock a drain waits on."""
        with self._changed:
            if not may_claim():
                return False
            self._claims_in_flight += 1
            return True

    def end_claim(self, job: RunningJob | None) -> None:
        """The claim is over: register the job it took, if any."""
        with self._changed:
            if job is not None:
                self._jobs[job.run_id] = job
            self._claims_in_flight -= 1
            self._changed.notify_all()

    def remove(self, job: RunningJob) -> None:
        """The attempt has ended."""
        with self._changed:
            self._jobs.pop(job.run_id, None)
            self._changed.notify_all()

    def snapshot(self) -> list[RunningJob]:
        """The attempts running now."""
        with self._changed:
            return list(self._jobs.values())

    def count(self) -> int:
        """How many attempts run now."""
        with self._changed:
            return len(self._jobs)

    def is_current(self, job: RunningJob) -> bool:
        """True while `job` is the running attempt of its run id here."""
        with self._changed:
            return self._jobs.get(job.run_id) is job

    def wait_idle(self, deadline: Callable[[], float]) -> list[RunningJob]:
        """Wait until nothing runs or is being claimed, or until `deadline()` (monotonic, read
        again on each wake-up so it can be moved closer); return what still runs."""
        with self._changed:
            while (self._jobs or self._claims_in_flight) and time.monotonic() < deadline():
                self._changed.wait(timeout=min(0.1, max(deadline() - time.monotonic(), 0)))
            return list(self._jobs.values())


def give_back_lost_claim(
    store: JobStore, token: str, timeout_s: float = GIVE_BACK_TIMEOUT_S
) -> None:
    """Before a dispatcher leaves: if its last claim (`token`) took a job whose reply was lost,
    hand that job back, uncharged, so another process runs it now rather than after its lease
    runs out. Transient Redis errors are retried for up to `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    delay_s = 0.1
    while True:
        try:
            run_id = store.give_back_claim(token)
        except Exception as error:
            if not is_transient_redis_error(error) or time.monotonic() + delay_s > deadline:
                log.error("job_claim_not_given_back", error=str(error))
                return
            time.sleep(delay_s)
            delay_s = min(delay_s * 2, 1.0)
            continue
        if run_id is not None:
            log.warning("job_handed_back", job_id=run_id, reason="claim_reply_lost")
        return
