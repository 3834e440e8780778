"""Running one claimed job on an executor thread and writing how it ended.

Outcomes: the job's result (complete), its own error (failed at once), a transient error of
something it depends on (requeued with a back-off, see `errors.is_transient`), or fenced (the
attempt lost its job: it stops without writing). Writes that meet a Redis outage are retried
while the outcome waits in memory, so a job that finished during an outage is not run again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog

from webapp.jobs.context import JobCancelledError
from webapp.jobs.durability import WaitPolicy
from webapp.jobs.errors import JobFailedError, TransitionRefusedError, is_transient
from webapp.jobs.events import NO_EVENTS, JobEvents
from webapp.jobs.kinds import JobKinds
from webapp.jobs.reachability import Reachability
from webapp.jobs.store import JobStore

if TYPE_CHECKING:
    from webapp.jobs.running import RunningJob

log = structlog.get_logger(__name__)

# Back-off bounds while Redis is unreachable (seconds).
BACKOFF_MIN_S, BACKOFF_MAX_S = 0.1, 5.0
# Delay before a job that met a transient error runs again: doubled per failed attempt.
RETRY_DELAY_MIN_S, RETRY_DELAY_MAX_S = 1.0, 60.0


def retry_delay_s(failed_attempts: int) -> float:
    """How long a job waits on the queue after its `failed_attempts`-th transient failure."""
    return min(RETRY_DELAY_MIN_S * 2 ** max(failed_attempts - 1, 0), RETRY_DELAY_MAX_S)


@dataclass
class Execution:
    """Runs claimed jobs of the registered kinds and writes their outcomes."""

    kinds: JobKinds
    reachability: Reachability
    result_write_retry_seconds: float
    # How many replicas must hold a job's outcome before it counts as written (None: no WAIT):
    # an outcome only the old primary held is lost in a failover, and the job would run again.
    wait_policy: Callable[[], WaitPolicy | None] = lambda: None
    events: JobEvents = NO_EVENTS

    def run(self, job: RunningJob, store: JobStore) -> None:
        """Run the job function, then write its outcome (never raises for the job's errors)."""
        record, attempt = job.claim.record, job.claim.attempt
        log.info("job_started", kind=record.kind, attempt=attempt)
        self.events.started(record)
        try:
            result = self.kinds[record.kind](record.input, job.context)
            job.context.raise_if_cancelled()
        except JobCancelledError:
            log.warning("job_fenced", attempt=attempt, phase="running")
            self.events.attempt_ended("fenced")
        except JobFailedError as error:
            self._finish(store, job, error=str(error), code=error.code)
        except Exception as error:
            if is_transient(error):
                self._retry_later(store, job, error)
            else:
                log.exception("job_crashed", attempt=attempt)
                self._finish(
                    store, job, error=f"{type(error).__name__}: {error}", code="internal_error"
                )
        else:
            self._finish(store, job, result=result)

    def _finish(
        self,
        store: JobStore,
        job: RunningJob,
        *,
        result: Any = None,
        error: str | None = None,
        code: str = "job_failed",
    ) -> None:
        run_id, token = job.claim.record.run_id, job.claim.token
        if error is None:
            written = self._write(
                job, lambda: store.complete(run_id, token, result, wait=self.wait_policy())
            )
        else:
            written = self._write(
                job, lambda: store.fail(run_id, token, error, code, wait=self.wait_policy())
            )
        if not written:
            return
        elapsed_s = time.monotonic() - job.started
        self.events.finished(job.claim.record, "complete" if error is None else "failed", elapsed_s)
        elapsed_ms = round(elapsed_s * 1000, 1)
        if error is None:
            log.info("job_completed", attempt=job.claim.attempt, duration_ms=elapsed_ms)
        else:
            log.warning(
                "job_failed", attempt=job.claim.attempt, duration_ms=elapsed_ms, error=error
            )

    def _retry_later(self, store: JobStore, job: RunningJob, error: Exception) -> None:
        record = job.claim.record
        cause = f"{type(error).__name__}: {error}"
        delay = retry_delay_s(record.failed_attempts + 1)
        outcome: list[Any] = []
        written = self._write(
            job,
            lambda: outcome.append(store.retry_later(record.run_id, job.claim.token, cause, delay)),
        )
        if not written:
            return
        if outcome[0] == "pending":
            self.events.attempt_ended("retry_scheduled")
        else:
            self.events.finished(record, "failed", time.monotonic() - job.started)
        log.warning(
            "job_retry_scheduled" if outcome[0] == "pending" else "job_failed",
            attempt=job.claim.attempt,
            error=cause,
            retry_in_s=delay,
        )

    def _write(self, job: RunningJob, write: Callable[[], Any]) -> bool:
        """Run `write`, retrying transient Redis errors for result_write_retry_seconds.

        False when the attempt was fenced or the write could not be made in time."""
        attempt = job.claim.attempt
        deadline = time.monotonic() + self.result_write_retry_seconds
        backoff = BACKOFF_MIN_S
        while True:
            try:
                write()
                return True
            except TransitionRefusedError as refused:
                log.warning(
                    "job_fenced", attempt=attempt, phase="finishing", current=refused.current
                )
                return False
            except Exception as error:
                self.reachability.absorb(error, self.events)
                if time.monotonic() + backoff > deadline:
                    log.error("job_result_lost", attempt=attempt, error=str(error))
                    return False
                log.warning("job_result_write_retry", attempt=attempt, retry_in_s=round(backoff, 2))
                time.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX_S)
