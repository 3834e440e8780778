"""JobRunner: runs jobs from the global Redis queue on this process's executor threads.

A job is claimed only when an executor thread is free (by the dispatcher for an idle thread, or
by a thread that just finished a job and keeps its slot: the script that writes the outcome
claims the next pending job in the same round trip), so no pending job ever waits in this
process's memory: any process can run any job and the queue depth is global.
A maintenance thread renews the leases of the running attempts (heartbeat) and requeues the jobs
of processes that died without a word (recovery). `drain` stops both and hands stragglers back.
"""

from __future__ import annotations

import os
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import redis
import structlog

from webapp.jobs.context import JobCancelledError, JobContext
from webapp.jobs.events import NO_EVENTS, JobEvents, job_size
from webapp.jobs.kinds import JobKinds
from webapp.jobs.priority import lower_current_thread
from webapp.jobs.states import TransitionRefusedError
from webapp.jobs.store import Claim, JobStore

log = structlog.get_logger(__name__)

# How long an idle dispatcher blocks waiting for a wake-up before it polls the queue anyway.
IDLE_POLL_S = 1.0
# How often a paused dispatcher looks again whether it may take jobs (seconds).
PAUSE_POLL_S = 0.25
# Back-off bounds while Redis is unreachable (seconds).
BACKOFF_MIN_S, BACKOFF_MAX_S = 0.1, 5.0


class JobFailedError(Exception):
    """Raised by a job function to fail its job with a message meant for the client."""


@dataclass(frozen=True)
class RunnerOptions:
    """How many jobs run at once here, and the timings of leases and recovery."""

    workers: int = 2
    thread_nice: int = 0  # added to the nice value of the executor threads (Linux)
    lease_seconds: float = 30.0
    recovery_scan_seconds: float = 10.0
    result_write_retry_seconds: float = 300.0


class _NotAsked:
    """The next job was not claimed with the last one's final write: claim it separately."""


NOT_ASKED = _NotAsked()


@dataclass
class RunningJob:
    """An attempt running on one of this process's threads."""

    claim: Claim
    context: JobContext
    started: float
    # What the script that wrote this attempt's outcome claimed for the same thread: a job
    # (already registered as running here), None (the queue was empty) or NOT_ASKED.
    next_job: RunningJob | _NotAsked | None = NOT_ASKED


class JobRunner:
    """Owns this process's executor, dispatcher and maintenance threads."""

    def __init__(
        self,
        store_factory: Callable[[], JobStore],
        kinds: JobKinds,
        options: RunnerOptions,
        *,
        owner: str | None = None,
    ) -> None:
        self.options = options
        self.kinds = kinds
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"
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
        self._executor: ThreadPoolExecutor | None = None
        self._threads: list[threading.Thread] = []
        self.events: JobEvents = NO_EVENTS  # metrics replace it

    # ------------------------------------------------------------------ lifecycle

    @property
    def is_accepting(self) -> bool:
        """True while this process takes new jobs from the queue."""
        return (
            self._started.is_set() and not self._stop_requested.is_set() and not self._is_paused()
        )

    @property
    def was_stopped(self) -> bool:
        """True once stop_accepting (SIGTERM) was called: this process will take no more jobs."""
        return self._stop_requested.is_set()

    def pause_while(self, predicate: Callable[[], bool]) -> None:
        """Take no new job while `predicate()` is true (e.g. the instance drain flag is set)."""
        self._is_paused = predicate

    def start(self) -> None:
        """Start taking jobs; call once per process, after any fork."""
        if self._executor is not None:
            return
        self.owner = f"{socket.gethostname()}:{os.getpid()}"
        self._executor = ThreadPoolExecutor(
            max_workers=self.options.workers,
            thread_name_prefix="job-runner",
            initializer=lower_current_thread,
            initargs=(self.options.thread_nice,),
        )
        self._started.set()
        for target, name in (
            (self._dispatch_loop, "job-dispatcher"),
            (self._maintain_loop, "job-maintenance"),
        ):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        log.info(
            "job_runner_started",
            workers=self.options.workers,
            thread_nice=self.options.thread_nice,
            owner=self.owner,
        )

    def stop_accepting(self) -> None:
        """Take no new job from now on (safe to call from a signal handler)."""
        self._stop_requested.set()

    def drain(self, deadline: float) -> list[RunningJob]:
        """Stop taking jobs, wait for running ones until `deadline` (monotonic), hand back the rest.

        Returns the stragglers that were handed back. The maintenance thread keeps renewing
        leases while we wait, so a slow drain is not mistaken for a crash.
        """
        self.stop_accepting()
        with self._idle:
            while (self._running or self._claims_in_flight) and time.monotonic() < deadline:
                self._idle.wait(timeout=min(0.2, max(deadline - time.monotonic(), 0.0)))
            stragglers = list(self._running.values())
        for job in stragglers:
            self._hand_back_straggler(job)
        self._stopped.set()
        return stragglers

    def shutdown(self, *, join_timeout_s: float = IDLE_POLL_S + 1) -> None:
        """Stop the threads; running jobs are told they were cancelled (tests and process exit).

        At process exit pass join_timeout_s=0: the dispatcher may sit in its blocking wait for
        up to IDLE_POLL_S, and its daemon thread ends with the process anyway.
        """
        self.stop_accepting()
        self._stopped.set()
        for job in self.running():
            job.context.cancelled.set()
        for thread in self._threads:
            thread.join(timeout=join_timeout_s)
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
        self._threads.clear()
        self._executor = None

    def running(self) -> list[RunningJob]:
        """The attempts running in this process now."""
        with self._running_lock:
            return list(self._running.values())

    def utilization(self) -> float:
        """Busy executor threads as a fraction of all of them."""
        with self._running_lock:
            return len(self._running) / self.options.workers

    # ------------------------------------------------------------------ dispatch

    def _dispatch_loop(self) -> None:
        backoff = BACKOFF_MIN_S
        while not self._stop_requested.is_set():
            if self._is_paused():
                self._stop_requested.wait(PAUSE_POLL_S)
                continue
            if not self._slots.acquire(timeout=0.5):
                continue
            claimed = False
            try:
                claimed = self._claim_one()
                backoff = BACKOFF_MIN_S
            except redis.RedisError as error:
                self.events.redis_error()
                log.warning("job_claim_failed", error=str(error), retry_in_s=round(backoff, 2))
                self._stopped.wait(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX_S)
            finally:
                if not claimed:
                    self._slots.release()

    def _claim_one(self) -> bool:
        """Claim and start one job; on an empty queue, wait for a wake-up. True if claimed."""
        store = self._store_factory()
        job = self._try_claim(store)
        if job is None:
            if self.is_accepting:
                store.wait_for_work(IDLE_POLL_S)
            return False
        assert self._executor is not None
        self._executor.submit(self._run, job, store)
        return True

    def _try_claim(self, store: JobStore) -> RunningJob | None:
        """The next pending job, claimed for this process; None if the queue is empty or this
        process takes no more jobs."""
        with self._claiming() as accepting:
            if not accepting:
                return None
            return self._register(store, store.claim_next(self.owner))

    @contextmanager
    def _claiming(self) -> Iterator[bool]:
        """Count a claim in flight while the block runs; yields False (and counts nothing) when
        this process takes no more jobs.

        A drain that starts meanwhile waits for the claimed job to be registered instead of
        missing it (it would otherwise be left running without an owner).
        """
        with self._idle:
            accepting = self.is_accepting
            if accepting:
                self._claims_in_flight += 1
        try:
            yield accepting
        finally:
            if accepting:
                with self._idle:
                    self._claims_in_flight -= 1
                    self._idle.notify_all()

    def _register(self, store: JobStore, claim: Claim | None) -> RunningJob | None:
        """Record a claimed attempt as running here (call within _claiming)."""
        if claim is None:
            return None
        context = JobContext(store, claim.record.run_id, claim.attempt)
        job = RunningJob(claim=claim, context=context, started=time.monotonic())
        with self._idle:
            self._running[claim.record.run_id] = job
        return job

    # ------------------------------------------------------------------ one job

    def _run(self, job: RunningJob | None, store: JobStore) -> None:
        """Run the job, then keep this thread's slot for the next pending one while there is
        one: under load a job goes from the queue to a thread without the dispatcher's hand-off.
        """
        try:
            while job is not None:
                self._run_one(job, store)
                if not isinstance(job.next_job, _NotAsked):
                    # Claimed by the script that finished the last one (kept even when
                    # something after that write raised, so the claimed job is not left idle).
                    job = job.next_job
                    continue
                try:
                    job = self._try_claim(store)
                except redis.RedisError as error:  # the dispatcher retries with back-off
                    log.warning("job_claim_failed", error=str(error))
                    job = None
        finally:
            self._slots.release()

    def _run_one(self, job: RunningJob, store: JobStore) -> None:
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
            self._execute(job, store)
        except Exception:
            log.exception("job_runner_error")
        finally:
            structlog.contextvars.clear_contextvars()
            with self._idle:
                self._running.pop(record.run_id, None)
                self._idle.notify_all()

    def _execute(self, job: RunningJob, store: JobStore) -> None:
        record, attempt = job.claim.record, job.claim.attempt
        log.info("job_started", kind=record.kind, attempt=attempt)
        self.events.started(record)
        try:
            function = self.kinds[record.kind]
            result = function(record.input, job.context)
            job.context.raise_if_cancelled()
        except JobCancelledError:
            log.warning("job_fenced", attempt=attempt, phase="running")
            self.events.attempt_ended("fenced")
            return
        except JobFailedError as error:
            self._finish(store, job, error=str(error))
            return
        except Exception as error:
            log.exception("job_crashed", attempt=attempt)
            self._finish(store, job, error=f"{type(error).__name__}: {error}")
            return
        self._finish(store, job, result=result)

    def _finish(
        self,
        store: JobStore,
        job: RunningJob,
        *,
        result: Any = None,
        error: str | None = None,
    ) -> None:
        """Write the outcome, retrying while Redis is unreachable (the result waits in memory).

        While this process takes jobs, the same script claims the next pending one for this
        thread, kept in job.next_job (None: the queue was empty).
        """
        run_id, attempt = job.claim.record.run_id, job.claim.attempt
        deadline = time.monotonic() + self.options.result_write_retry_seconds
        backoff = BACKOFF_MIN_S
        while True:
            try:
                with self._claiming() as accepting:
                    claim_for = self.owner if accepting else None
                    if error is None:
                        claim = store.complete(run_id, attempt, result, claim_for=claim_for)
                    else:
                        claim = store.fail(run_id, attempt, error, claim_for=claim_for)
                    if accepting:
                        job.next_job = self._register(store, claim)
            except TransitionRefusedError as refused:
                log.warning(
                    "job_fenced",
                    attempt=attempt,
                    phase="finishing",
                    current=refused.current,
                )
                self.events.attempt_ended("fenced")
                return
            except (redis.ConnectionError, redis.TimeoutError) as outage:
                if time.monotonic() + backoff > deadline:
                    log.error("job_result_lost", attempt=attempt, error=str(outage))
                    return
                log.warning(
                    "job_result_write_retry",
                    attempt=attempt,
                    retry_in_s=round(backoff, 2),
                )
                time.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX_S)
                continue
            elapsed_s = time.monotonic() - job.started
            self.events.finished(
                job.claim.record, "complete" if error is None else "failed", elapsed_s
            )
            elapsed_ms = round(elapsed_s * 1000, 1)
            if error is None:
                log.info("job_completed", attempt=attempt, duration_ms=elapsed_ms)
            else:
                log.warning("job_failed", attempt=attempt, duration_ms=elapsed_ms, error=error)
            return

    # ------------------------------------------------------------------ maintenance

    def _maintain_loop(self) -> None:
        heartbeat_every = max(self.options.lease_seconds / 3, 0.05)
        next_scan = time.monotonic()  # recover at start-up, then periodically
        while not self._stopped.is_set():
            try:
                self._renew_leases()
                if time.monotonic() >= next_scan and not self._stop_requested.is_set():
                    self._recover()
                    jitter = random.uniform(0.8, 1.2)
                    next_scan = time.monotonic() + self.options.recovery_scan_seconds * jitter
            except redis.RedisError as error:
                self.events.redis_error()
                log.warning("job_maintenance_failed", error=str(error))
            self._stopped.wait(min(heartbeat_every, max(next_scan - time.monotonic(), 0.05)))

    def _renew_leases(self) -> None:
        jobs = self.running()
        if not jobs:
            return
        store = self._store_factory()
        lost = set(store.renew_leases((j.claim.record.run_id, j.claim.attempt) for j in jobs))
        for job in jobs:
            if job.claim.record.run_id in lost and not job.context.cancelled.is_set():
                job.context.cancelled.set()
                log.warning(
                    "job_lease_lost",
                    job_id=job.claim.record.run_id,
                    attempt=job.claim.attempt,
                )

    def _recover(self) -> None:
        for run_id, outcome in self._store_factory().reclaim_expired():
            log.warning("job_reclaimed", job_id=run_id, outcome=str(outcome))
            self.events.reclaimed(str(outcome))

    def _hand_back_straggler(self, job: RunningJob) -> None:
        record = job.claim.record
        job.context.cancelled.set()
        try:
            handed_back = self._store_factory().hand_back(record.run_id, job.claim.attempt)
        except redis.RedisError as error:
            handed_back = False
            log.error("job_hand_back_failed", job_id=record.run_id, error=str(error))
        log.warning(
            "job_handed_back",
            job_id=record.run_id,
            request_id=record.request_id,
            attempt=job.claim.attempt,
            age_s=round(time.monotonic() - job.started, 1),
            handed_back=handed_back,
        )
        self.events.attempt_ended("handed_back")
