"""JobRunner: runs jobs from the global Redis queue on this process's executor threads.

A job is claimed only when an executor thread is free, so no pending job ever waits in this
process's memory: any process can run any job and the queue depth is global. Three kinds of
thread, the first two supervised (`supervision`: a loop that raises is logged and restarted):
- the dispatcher claims a job for each free executor thread (`execution` runs it);
- the maintenance thread renews leases and recovers the jobs of dead processes (`maintenance`);
- `drain` (called from a shutdown thread, see `lifecycle`) waits for running jobs and hands back
  the stragglers; `hurry_drain` cuts that wait short.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import structlog

from webapp.jobs.context import JobContext
from webapp.jobs.durability import WaitPolicy
from webapp.jobs.errors import is_transient_redis_error
from webapp.jobs.events import NO_EVENTS, JobEvents, job_size
from webapp.jobs.execution import BACKOFF_MAX_S, BACKOFF_MIN_S, Execution
from webapp.jobs.kinds import JobKinds
from webapp.jobs.maintenance import Maintenance
from webapp.jobs.priority import lower_current_thread
from webapp.jobs.reachability import Reachability
from webapp.jobs.store import Claim, JobStore, new_claim_token
from webapp.jobs.supervision import SupervisedThreads

log = structlog.get_logger(__name__)

# How long an idle dispatcher blocks waiting for a wake-up before it polls the queue anyway.
IDLE_POLL_S = 1.0
# How often a paused dispatcher looks again whether it may take jobs (seconds).
PAUSE_POLL_S = 0.25


@dataclass(frozen=True)
class RunnerOptions:
    """How many jobs run at once here, and the timings of leases and recovery."""

    workers: int = 2
    thread_nice: int = 0  # added to the nice value of the executor threads (Linux)
    lease_seconds: float = 30.0
    recovery_scan_seconds: float = 10.0
    result_write_retry_seconds: float = 300.0


@dataclass
class RunningJob:
    """An attempt running on one of this process's threads."""

    claim: Claim
    context: JobContext
    started: float


class JobRunner:
    """Owns this process's executor, dispatcher and maintenance threads."""

    def __init__(
        self,
        store_factory: Callable[[], JobStore],
        kinds: JobKinds,
        options: RunnerOptions,
        *,
        owner: str | None = None,
        wait_policy: Callable[[], WaitPolicy | None] = lambda: None,
    ) -> None:
        self.options = options
        self.kinds = kinds
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"
        self.reachability = Reachability(options.lease_seconds)
        self._store_factory = store_factory
        self._started = threading.Event()
        self._stop_requested = threading.Event()
        self._stopped = threading.Event()
        self._is_paused: Callable[[], bool] = lambda: False
        self._slots = threading.BoundedSemaphore(options.workers)
        self._running: dict[str, RunningJob] = {}
        self._claims_in_flight = 0
        self._running_lock = threading.Lock()
        self._idle = threading.Condition(self._running_lock)
        self._drain_deadline = float("inf")
        self._executor: ThreadPoolExecutor | None = None
        self._threads = SupervisedThreads(
            {"job-dispatcher": self._dispatch_loop, "job-maintenance": self._maintain_loop},
            self._stopped,
        )
        self._execution = Execution(
            kinds, self.reachability, options.result_write_retry_seconds, wait_policy
        )
        self._maintenance: Maintenance | None = None
        self.events = NO_EVENTS

    @property
    def events(self) -> JobEvents:
        """Who hears about attempts (metrics replace the default, which ignores them)."""
        return self._execution.events

    @events.setter
    def events(self, events: JobEvents) -> None:
        self._execution.events = events

    # ------------------------------------------------------------------ lifecycle

    @property
    def is_accepting(self) -> bool:
        """True while this process takes new jobs from the queue."""
        return (
            self._started.is_set() and not self._stop_requested.is_set() and not self._is_paused()
        )

    @property
    def was_stopped(self) -> bool:
        """True once stop_accepting was called: this process will take no more jobs."""
        return self._stop_requested.is_set()

    def pause_while(self, predicate: Callable[[], bool]) -> None:
        """Take no new job while `predicate()` is true (e.g. the instance drain flag is set)."""
        self._is_paused = predicate

    def start(self) -> None:
        """Start taking jobs; call once per process, after any fork."""
        if self._executor is not None:
            return
        self.owner = f"{socket.gethostname()}:{os.getpid()}"
        self._maintenance = Maintenance(
            self._store_factory,
            self.reachability,
            owner=self.owner,
            recovery_scan_seconds=self.options.recovery_scan_seconds,
            events=lambda: self.events,
        )
        self._executor = ThreadPoolExecutor(
            max_workers=self.options.workers,
            thread_name_prefix="job-runner",
            initializer=lower_current_thread,
            initargs=(self.options.thread_nice,),
        )
        self._started.set()
        self.ensure_threads()
        log.info(
            "job_runner_started",
            workers=self.options.workers,
            thread_nice=self.options.thread_nice,
            owner=self.owner,
        )

    def ensure_threads(self) -> bool:
        """Start any dispatcher or maintenance thread that is not running; False if one could
        not be started (the process then cannot run jobs: readiness fails)."""
        if not self._started.is_set() or self._stop_requested.is_set():
            return True
        return self._threads.ensure_running()

    def threads_alive(self) -> bool:
        """True when the dispatcher and maintenance threads run (or the runner is not started
        or stopping)."""
        if not self._started.is_set() or self._stop_requested.is_set():
            return True
        return self._threads.all_alive()

    def stop_accepting(self) -> None:
        """Take no new job from now on (safe to call from a signal handler)."""
        self._stop_requested.set()

    def drain(self, deadline: float) -> list[RunningJob]:
        """Stop taking jobs, wait for running ones until `deadline` (monotonic), hand back the rest.

        Returns the stragglers that were handed back. The maintenance thread keeps renewing
        leases while we wait, so a slow drain is not mistaken for a crash. `hurry_drain` moves
        the deadline to now.
        """
        self.stop_accepting()
        self._drain_deadline = min(self._drain_deadline, deadline)
        with self._idle:
            while (self._running or self._claims_in_flight) and (
                time.monotonic() < self._drain_deadline
            ):
                self._idle.wait(timeout=min(0.1, max(self._drain_deadline - time.monotonic(), 0)))
            stragglers = list(self._running.values())
        for job in stragglers:
            self._hand_back_straggler(job)
        self._stopped.set()
        return stragglers

    def hurry_drain(self) -> None:
        """End a drain's wait now (signal-handler safe: no lock, the drain polls)."""
        self.stop_accepting()
        self._drain_deadline = time.monotonic()

    def shutdown(self, *, join_timeout_s: float = IDLE_POLL_S + 1) -> None:
        """Stop the threads; running jobs are told they were cancelled (tests and process exit).

        At process exit pass join_timeout_s=0: the dispatcher may sit in its blocking wait for
        up to IDLE_POLL_S, and its daemon thread ends with the process anyway.
        """
        self.stop_accepting()
        self._stopped.set()
        for job in self.running():
            job.context.cancelled.set()
        self._threads.join(join_timeout_s)
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
        self._executor = None

    def running(self) -> list[RunningJob]:
        """The attempts running in this process now."""
        with self._running_lock:
            return list(self._running.values())

    def utilization(self) -> float:
        """Busy executor threads as a fraction of all of them."""
        with self._running_lock:
            return len(self._running) / self.options.workers

    # ------------------------------------------------------------------ threads

    def _dispatch_loop(self) -> None:
        backoff = BACKOFF_MIN_S
        token: str | None = None  # kept across a failed claim: its reply may have been lost
        while not self._stop_requested.is_set():
            if self._is_paused():
                self._stop_requested.wait(PAUSE_POLL_S)
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
                if not is_transient_redis_error(error):
                    raise
                self.reachability.trouble()
                self.events.redis_error()
                log.warning("job_claim_failed", error=str(error), retry_in_s=round(backoff, 2))
                self._stopped.wait(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX_S)
            finally:
                if not claimed:
                    self._slots.release()

    def _claim_one(self, token: str) -> bool:
        """Claim and start one job; on an empty queue, wait for a wake-up. True if claimed."""
        store = self._store_factory()
        job = self._try_claim(store, token)
        if job is None:
            if self.is_accepting:
                started = time.monotonic()
                store.wait_for_work(IDLE_POLL_S)
                self.reachability.took(started, expected_s=IDLE_POLL_S)
            return False
        assert self._executor is not None
        self._executor.submit(self._run, job, store)
        return True

    def _try_claim(self, store: JobStore, token: str) -> RunningJob | None:
        """The next due pending job, claimed for this process and registered as running here.

        Counted as a claim in flight meanwhile, so a drain that starts during the claim waits
        for the job to be registered instead of missing it."""
        with self._idle:
            if not self.is_accepting:
                return None
            self._claims_in_flight += 1
        try:
            started = time.monotonic()
            claim = store.claim_next(self.owner, token)
            self.reachability.took(started)
            if claim is None:
                return None
            job = RunningJob(claim, JobContext(store, claim), time.monotonic())
            with self._idle:
                self._running[claim.record.run_id] = job
            return job
        finally:
            with self._idle:
                self._claims_in_flight -= 1
                self._idle.notify_all()

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
            self._execution.run(job, store)
        except Exception:
            log.exception("job_runner_error")
        finally:
            structlog.contextvars.clear_contextvars()
            with self._idle:
                self._running.pop(record.run_id, None)
                self._idle.notify_all()
            self._slots.release()

    def _maintain_loop(self) -> None:
        assert self._maintenance is not None
        maintenance = self._maintenance
        heartbeat_every = max(self.options.lease_seconds / 3, 0.05)
        while not self._stopped.is_set():
            try:
                maintenance.renew(self.running(), self._is_running)
                if not self._stop_requested.is_set():
                    maintenance.recover_if_due()
            except Exception as error:
                if not is_transient_redis_error(error):
                    raise
                self.reachability.trouble()
                self.events.redis_error()
                log.warning("job_maintenance_failed", error=str(error))
            self._stopped.wait(min(heartbeat_every, max(maintenance.seconds_to_next_scan(), 0.05)))

    def _is_running(self, job: RunningJob) -> bool:
        with self._running_lock:
            return self._running.get(job.claim.record.run_id) is job

    def _hand_back_straggler(self, job: RunningJob) -> None:
        record = job.claim.record
        job.context.cancelled.set()
        try:
            handed_back = self._store_factory().hand_back(record.run_id, job.claim.token)
        except Exception as error:
            handed_back = False
            log.error("job_hand_back_failed", job_id=record.run_id, error=str(error))
        self.events.attempt_ended("handed_back")
        log.warning(
            "job_handed_back",
            job_id=record.run_id,
            request_id=record.request_id,
            attempt=job.claim.attempt,
            age_s=round(time.monotonic() - job.started, 1),
            handed_back=handed_back,
        )
