"""Claiming: the dispatcher thread takes a job from the global queue for each free executor
thread and runs it there, so no pending job ever waits in this process's memory."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import KW_ONLY, dataclass, field

import structlog

from webapp.jobs.context import JobContext
from webapp.jobs.events import job_size
from webapp.jobs.execution import BACKOFF_MAX_S, BACKOFF_MIN_S, Execution
from webapp.jobs.reachability import Reachability
from webapp.jobs.running import RunningJob, RunningJobs, give_back_lost_claim
from webapp.jobs.store import JobStore, new_claim_token

log = structlog.get_logger(__name__)

# How long an idle dispatcher blocks waiting for a wake-up before it polls the queue anyway.
IDLE_POLL_S = 1.0
# How often a paused dispatcher looks again whether it may take jobs (seconds).
PAUSE_POLL_S = 0.25


@dataclass
class Dispatcher:
    """Claims jobs while executor threads are free and this process takes jobs."""

    store_factory: Callable[[], JobStore]
    running: RunningJobs
    execution: Execution
    reachability: Reachability
    executor: ThreadPoolExecutor
    _: KW_ONLY
    owner: str
    workers: int
    is_accepting: Callable[[], bool]
    is_paused: Callable[[], bool]
    stop_requested: threading.Event
    stopped: threading.Event
    _slots: threading.BoundedSemaphore = field(init=False)

    def __post_init__(self) -> None:
        self._slots = threading.BoundedSemaphore(self.workers)

    def loop(self) -> None:
        """Claim a job whenever a thread is free, until the process stops taking jobs."""
        backoff = BACKOFF_MIN_S
        token: str | None = None  # kept across a failed claim: its reply may have been lost
        while not self.stop_requested.is_set():
            if self.is_paused():
                self.stop_requested.wait(PAUSE_POLL_S)
                continue
            if not self._slots.acquire(timeout=0.5):
                continue
            claimed = False
            try:
                token = token or new_claim_token()
                claimed = self._claim_one(token)
                token = None
                backoff = BACKOFF_MIN_S
            except Exception as error:
                self.reachability.absorb(error, self.execution.events)
                log.warning("job_claim_failed", error=str(error), retry_in_s=round(backoff, 2))
                self.stopped.wait(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX_S)
            finally:
                if not claimed:
                    self._slots.release()
        if token is not None:  # the last claim failed: its reply may have been lost
            give_back_lost_claim(self.store_factory(), token)

    def _claim_one(self, token: str) -> bool:
        """Claim and start one job; on an empty queue, wait for a wake-up. True if claimed."""
        store = self.store_factory()
        job = self._try_claim(store, token)
        if job is None:
            if self.is_accepting():
                started = time.monotonic()
                store.wait_for_work(IDLE_POLL_S)
                self.reachability.took(started, expected_s=IDLE_POLL_S)
            return False
        self.executor.submit(self._run, job, store)
        return True

    def _try_claim(self, store: JobStore, token: str) -> RunningJob | None:
        """The next due pending job, claimed for this process and registered as running here."""
        if not self.running.begin_claim(self.is_accepting):
            give_back_lost_claim(store, token)  # a failed claim before may have taken a job
            return None
        job = None
        try:
            started = time.monotonic()
            claim = store.claim_next(self.owner, token)
            self.reachability.took(started)
            if claim is not None:
                job = RunningJob(claim, JobContext(store, claim), time.monotonic())
            return job
        finally:
            self.running.end_claim(job)

    def _run(self, job: RunningJob, store: JobStore) -> None:
        record = job.claim.record
        # Executor threads do not inherit the request's context: bind what the record holds.
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            job_id=record.run_id,
            request_id=record.request_id,
            user_id=record.user_id,
            **job_size(record.metadata),
        )
        try:
            self.execution.run(job, store)
        except Exception:
            log.exception("job_runner_error")
        finally:
            structlog.contextvars.clear_contextvars()
            self.running.remove(job)
            self._slots.release()
