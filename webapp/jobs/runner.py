"""JobRunner: this process's part in the job system, read top to bottom.

- **claim**: the dispatcher thread takes a job from the global Redis queue for each free
  executor thread, so no pending job waits in this process's memory and the queue depth is
  global;
- **run**: the executor thread binds the job's log context and runs its kind: a function here,
  or a `ProcessKind` whose compute runs in a child process (`webapp.compute`);
- **heartbeat**: the maintenance thread renews the leases of running attempts and recovers the
  jobs of dead processes (`maintenance`);
- **finish**: the outcome is written, fenced by the attempt's claim token: complete, failed at
  once (the job's own error), or requeued with a back-off (a transient error or a crashed
  compute process); writes that meet a Redis outage are retried while the outcome waits in
  memory, so a job that finished during an outage is not run again;
- **drain**: `drain` (from a shutdown thread, see `runtime.lifecycle`) waits for running
  attempts until a deadline and hands back the stragglers, uncharged, so another process runs
  them at once; `hurry_drain` cuts that wait short.

The dispatcher and maintenance loops are supervised: a loop that raises is logged and run again
after RESTART_DELAY_S; a thread that is gone anyway is started anew by `ensure_threads`, which
readiness calls.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import structlog

from webapp.compute.kind import ProcessKind
from webapp.compute.supervisor import ComputeError, ComputeLimits, ComputeProcesses
from webapp.jobs.context import JobContext
from webapp.jobs.durability import WaitPolicy
from webapp.jobs.errors import (
    ComputeCrashedError,
    JobCancelledError,
    JobFailedError,
    TransitionRefusedError,
    is_transient,
    public_error,
)
from webapp.jobs.events import NO_EVENTS, JobEvents, job_size
from webapp.jobs.kinds import JobKinds
from webapp.jobs.maintenance import Maintenance
from webapp.jobs.priority import lower_current_thread
from webapp.jobs.reachability import Reachability
from webapp.jobs.running import RunningJob, RunningJobs, give_back_lost_claim
from webapp.jobs.store import JobStore, new_claim_token

__all__ = ["JobRunner", "RunnerOptions"]

log = structlog.get_logger(__name__)

# How long an idle dispatcher blocks waiting for a wake-up before it polls the queue anyway (at
# most: see idle_poll_s).
IDLE_POLL_S = 1.0
# How often a paused dispatcher looks again whether it may take jobs (seconds).
PAUSE_POLL_S = 0.25
# Back-off bounds while Redis is unreachable (seconds).
BACKOFF_MIN_S, BACKOFF_MAX_S = 0.1, 5.0
# Delay before a job that met a transient error runs again: doubled per failed attempt.
RETRY_DELAY_MIN_S, RETRY_DELAY_MAX_S = 1.0, 60.0
# Pause before a supervised loop that raised runs again (seconds).
RESTART_DELAY_S = 1.0


def idle_poll_s(socket_timeout_s: float) -> float:
    """How long an idle dispatcher blocks waiting for a wake-up: IDLE_POLL_S, or half the Redis
    socket timeout when that is shorter (a blocking read outlasting it ends in a timeout error,
    a failed claim and its back-off, as the status waiters also avoid)."""
    return min(IDLE_POLL_S, max(socket_timeout_s / 2, 0.05))


def retry_delay_s(failed_attempts: int) -> float:
    """How long a job waits on the queue after its `failed_attempts`-th transient failure."""
    return min(RETRY_DELAY_MIN_S * 2 ** max(failed_attempts - 1, 0), RETRY_DELAY_MAX_S)


@dataclass(frozen=True)
class RunnerOptions:
    """How many jobs run at once here, the timings of leases and recovery, and the limits of
    a compute process."""

    workers: int = 2
    thread_nice: int = 0  # added to the nice value of executor threads and compute processes
    lease_seconds: float = 30.0
    recovery_scan_seconds: float = 10.0
    result_write_retry_seconds: float = 300.0
    job_timeout_seconds: float = 600.0  # hard limit per attempt of a compute process
    job_memory_limit_mb: int = 2048  # resident memory a compute process may use
    idle_poll_seconds: float = IDLE_POLL_S  # see idle_poll_s


class JobRunner:
    """Owns this process's executor, dispatcher and maintenance threads and compute processes."""

    def __init__(
        self,
        store_factory: Callable[[], JobStore],
        kinds: JobKinds,
        options: RunnerOptions,
        *,
        owner: str | None = None,
        wait_policy: Callable[[], WaitPolicy | None] = lambda: None,
        events: JobEvents = NO_EVENTS,
    ) -> None:
        self.options = options
        self.kinds = kinds
        self.events = events
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"
        self.reachability = Reachability(options.lease_seconds)
        # How many replicas must hold an outcome before it counts as written (None: no WAIT):
        # an outcome only the old primary held is lost in a failover, and the job would run again.
        self.wait_policy = wait_policy
        self.compute = ComputeProcesses(
            ComputeLimits(
                timeout_s=options.job_timeout_seconds,
                memory_mb=options.job_memory_limit_mb,
                nice=options.thread_nice,
            ),
            preload=kinds.compute_modules(),
        )
        self._store_factory = store_factory
        self._stop_requested = threading.Event()
        self._stopped = threading.Event()
        self._is_paused: Callable[[], bool] = lambda: False
        self._running = RunningJobs()
        self._slots = threading.BoundedSemaphore(options.workers)
        self._drain_deadline = float("inf")
        self._executor: ThreadPoolExecutor | None = None
        self._loops: dict[str, Callable[[], None]] = {}
        self._threads: dict[str, threading.Thread] = {}

    @property
    def is_accepting(self) -> bool:
        """True while this process takes new jobs from the queue."""
        return bool(self._loops) and not self._stop_requested.is_set() and not self._is_paused()

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
        self._executor = ThreadPoolExecutor(
            max_workers=self.options.workers,
            thread_name_prefix="job-runner",
            initializer=lower_current_thread,
            initargs=(self.options.thread_nice,),
        )
        maintenance = Maintenance(
            self._store_factory,
            self.reachability,
            self._running,
            owner=self.owner,
            lease_seconds=self.options.lease_seconds,
            recovery_scan_seconds=self.options.recovery_scan_seconds,
            events=self.events,
        )
        self._loops = {
            "job-dispatcher": self._dispatch_loop,
            "job-maintenance": lambda: maintenance.loop(self._stop_requested, self._stopped),
        }
        self.ensure_threads()
        if self.kinds.compute_modules():  # the forkserver's imports, before the first job
            threading.Thread(
                target=self.compute.warm_up, name="compute-warm-up", daemon=True
            ).start()
        log.info(
            "job_runner_started",
            workers=self.options.workers,
            thread_nice=self.options.thread_nice,
            owner=self.owner,
        )

    # ------------------------------------------------------------------ claim

    def _dispatch_loop(self) -> None:
        """Claim a job whenever an executor thread is free, until the process stops taking jobs."""
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
                self.reachability.absorb(error, self.events)
                log.warning("job_claim_failed", error=str(error), retry_in_s=round(backoff, 2))
                self._stopped.wait(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX_S)
            finally:
                if not claimed:
                    self._slots.release()
        if token is not None:  # the last claim failed: its reply may have been lost
            give_back_lost_claim(self._store_factory(), token)

    def _claim_one(self, token: str) -> bool:
        """Claim and start one job; on an empty queue, wait for a wake-up. True if claimed."""
        store = self._store_factory()
        job = self._try_claim(store, token)
        if job is None:
            if self.is_accepting:
                started = time.monotonic()
                store.wait_for_work(self.options.idle_poll_seconds)
                self.reachability.took(started, expected_s=self.options.idle_poll_seconds)
            return False
        assert self._executor is not None
        self._executor.submit(self._run, job, store)
        return True

    def _try_claim(self, store: JobStore, token: str) -> RunningJob | None:
        """The next due pending job, claimed for this process and registered as running here."""
        if not self._running.begin_claim(lambda: self.is_accepting):
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
            self._running.end_claim(job)

    # ------------------------------------------------------------------ run

    def _run(self, job: RunningJob, store: JobStore) -> None:
        """The executor thread's work: one attempt, in the job's log context."""
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
            self._attempt(job, store)
        except Exception:
            log.exception("job_runner_error")
        finally:
            structlog.contextvars.clear_contextvars()
            self._running.remove(job)
            self._slots.release()

    def _attempt(self, job: RunningJob, store: JobStore) -> None:
        """Run the job's kind, then write its outcome (never raises for the job's errors)."""
        record, attempt = job.claim.record, job.claim.attempt
        log.info("job_started", kind=record.kind, attempt=attempt)
        self.events.started(record)
        try:
            result = self._call(record.kind, record.input, job.context)
            job.context.raise_if_cancelled()
        except JobCancelledError:
            log.warning("job_fenced", attempt=attempt, phase="running")
            self.events.attempt_ended("fenced")
        except JobFailedError as error:
            self._finish(store, job, error=str(error), code=error.code)
        except ComputeCrashedError as error:
            self._retry_later(store, job, error, give_up_code="compute_crashed")
        except ComputeError as error:
            log.error("job_crashed", attempt=attempt, error=str(error), traceback=error.details)
            self._finish(store, job, error=str(error), code="internal_error")
        except Exception as error:
            if is_transient(error):
                self._retry_later(store, job, error)
            else:
                log.exception("job_crashed", attempt=attempt)
                self._finish(store, job, error=public_error(error), code="internal_error")
        else:
            self._finish(store, job, result=result)

    def _call(self, kind: str, job_input: dict[str, Any], context: JobContext) -> Any:
        """The kind's result: computed in a child process for a ProcessKind, else here."""
        function = self.kinds[kind]
        if isinstance(function, ProcessKind):
            return self.compute.run(function, job_input, context)
        return function(job_input, context)

    # ------------------------------------------------------------------ finish

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

    def _retry_later(
        self, store: JobStore, job: RunningJob, error: Exception, give_up_code: str = "gave_up"
    ) -> None:
        """Charge the attempt and requeue the job after a back-off (or fail it, out of tries)."""
        record = job.claim.record
        cause = public_error(error)  # the record's error; the log line below keeps the message
        delay = retry_delay_s(record.failed_attempts + 1)
        outcome: list[Any] = []

        def write() -> None:
            status = store.retry_later(
                record.run_id, job.claim.token, cause, delay, give_up_code=give_up_code
            )
            outcome.append(status)

        if not self._write(job, write):
            return
        if outcome[0] == "pending":
            self.events.attempt_ended("retry_scheduled")
        else:
            self.events.finished(record, "failed", time.monotonic() - job.started)
        log.warning(
            "job_retry_scheduled" if outcome[0] == "pending" else "job_failed",
            attempt=job.claim.attempt,
            error=f"{type(error).__name__}: {error}",
            retry_in_s=delay,
        )

    def _write(self, job: RunningJob, write: Callable[[], Any]) -> bool:
        """Run `write`, retrying transient Redis errors for result_write_retry_seconds.

        False when the attempt was fenced or the write could not be made in time."""
        attempt = job.claim.attempt
        deadline = time.monotonic() + self.options.result_write_retry_seconds
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

    # ------------------------------------------------------------------ drain

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
        stragglers = self._running.wait_idle(lambda: self._drain_deadline)
        for job in stragglers:
            self._hand_back(job)
        self._stopped.set()
        return stragglers

    def hurry_drain(self) -> None:
        """End a drain's wait now (signal-handler safe: no lock, the drain polls)."""
        self.stop_accepting()
        self._drain_deadline = time.monotonic()

    def _hand_back(self, job: RunningJob) -> None:
        """Stop the attempt and put its job back on the queue, uncharged, with its checkpoint
        (written back from the claim if Redis lost it meanwhile)."""
        record = job.claim.record
        job.context.cancelled.set()  # its thread stops the compute process, if any
        try:
            job.context.checkpoint.flush()  # the latest state of a compute process, if any
            # With the claim: a job Redis lost meanwhile (a rollback) is written back, not lost.
            handed_back = self._store_factory().hand_back(
                record.run_id, job.claim.token, claim=job.claim
            )
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

    def shutdown(self, *, join_timeout_s: float = IDLE_POLL_S + 1) -> None:
        """Stop the threads and compute processes; running jobs are told they were cancelled
        (tests and process exit).

        At process exit pass join_timeout_s=0: the dispatcher may sit in its blocking wait for
        up to IDLE_POLL_S, and its daemon thread ends with the process anyway.
        """
        self.stop_accepting()
        self._stopped.set()
        for job in self.running():
            job.context.cancelled.set()
        self.compute.stop_all()
        for thread in self._threads.values():
            thread.join(timeout=join_timeout_s)
        self._threads.clear()
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
        self._executor = None

    # ------------------------------------------------------------------ supervision

    def ensure_threads(self) -> bool:
        """Start any dispatcher or maintenance thread that is not running; False if one could
        not be started (the process then cannot run jobs: readiness fails)."""
        if self._stop_requested.is_set():
            return True
        for name, loop in self._loops.items():
            thread = self._threads.get(name)
            if thread is not None and thread.is_alive():
                continue
            if thread is not None:
                log.error("job_thread_restarted", thread=name)
            thread = threading.Thread(
                target=self._supervised, args=(name, loop), name=name, daemon=True
            )
            try:
                thread.start()
            except RuntimeError:
                log.exception("job_thread_not_started", thread=name)
                return False
            self._threads[name] = thread
        return True

    def threads_alive(self) -> bool:
        """True when the dispatcher and maintenance threads run (or the runner is not started
        or stopping)."""
        if self._stop_requested.is_set():
            return True
        return all(
            (thread := self._threads.get(name)) is not None and thread.is_alive()
            for name in self._loops
        )

    def _supervised(self, name: str, loop: Callable[[], None]) -> None:
        while not self._stopped.is_set():
            try:
                loop()
                return
            except Exception:
                log.exception("job_thread_crashed", thread=name)
                self._stopped.wait(RESTART_DELAY_S)

    # ------------------------------------------------------------------ facts

    def running(self) -> list[RunningJob]:
        """The attempts running in this process now."""
        return self._running.snapshot()

    def utilization(self) -> float:
        """Busy executor threads as a fraction of all of them."""
        return self._running.count() / self.options.workers
