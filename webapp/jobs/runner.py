"""JobRunner: runs jobs from the global Redis queue on this process's executor threads.

It owns the process's part in the job system and wires its parts, one job each:
- `dispatch`: the dispatcher thread claims a job for each free executor thread (`execution`
  runs it), so no pending job waits in this process's memory and the queue depth is global;
- `maintenance`: the maintenance thread renews leases and recovers the jobs of dead processes;
- `draining`: `drain` (called from a shutdown thread, see `lifecycle`) waits for running jobs and
  hands back the stragglers; `hurry_drain` cuts that wait short.
Both threads are supervised (`supervision`): a loop that raises is logged and restarted.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import structlog

from webapp.compute.supervisor import ComputeLimits, ComputeProcesses
from webapp.jobs.dispatch import IDLE_POLL_S, Dispatcher
from webapp.jobs.draining import Drain
from webapp.jobs.durability import WaitPolicy
from webapp.jobs.events import NO_EVENTS, JobEvents
from webapp.jobs.execution import Execution
from webapp.jobs.kinds import JobKinds
from webapp.jobs.maintenance import Maintenance
from webapp.jobs.priority import lower_current_thread
from webapp.jobs.reachability import Reachability
from webapp.jobs.running import RunningJob, RunningJobs
from webapp.jobs.store import JobStore
from webapp.jobs.supervision import SupervisedThreads

__all__ = ["JobRunner", "RunnerOptions"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RunnerOptions:
    """How many jobs run at once here, and the timings of leases and recovery."""

    workers: int = 2
    thread_nice: int = 0  # added to the nice value of the executor threads (Linux)
    lease_seconds: float = 30.0
    recovery_scan_seconds: float = 10.0
    result_write_retry_seconds: float = 300.0
    job_timeout_seconds: float = 600.0  # hard limit per attempt of a compute process
    job_memory_limit_mb: int = 2048  # resident memory a compute process may use


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
        self._stop_requested = threading.Event()
        self._stopped = threading.Event()
        self._is_paused: Callable[[], bool] = lambda: False
        self._running = RunningJobs()
        self._drain = Drain(store_factory, self._running, lambda: self.events)
        self._executor: ThreadPoolExecutor | None = None
        self._threads: SupervisedThreads | None = None
        compute = ComputeProcesses(
            ComputeLimits(
                timeout_s=options.job_timeout_seconds,
                memory_mb=options.job_memory_limit_mb,
                nice=options.thread_nice,
            ),
            preload=kinds.compute_modules(),
        )
        self._execution = Execution(
            kinds, self.reachability, options.result_write_retry_seconds, compute, wait_policy
        )
        self.events = NO_EVENTS

    @property
    def events(self) -> JobEvents:
        """Who hears about attempts (metrics replace the default, which ignores them)."""
        return self._execution.events

    @events.setter
    def events(self, events: JobEvents) -> None:
        self._execution.events = events

    @property
    def is_accepting(self) -> bool:
        """True while this process takes new jobs from the queue."""
        return (
            self._threads is not None
            and not self._stop_requested.is_set()
            and not self._is_paused()
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
        self._executor = ThreadPoolExecutor(
            max_workers=self.options.workers,
            thread_name_prefix="job-runner",
            initializer=lower_current_thread,
            initargs=(self.options.thread_nice,),
        )
        self._threads = SupervisedThreads(
            {
                "job-dispatcher": self._dispatcher(self._executor).loop,
                "job-maintenance": self._maintenance_loop(),
            },
            self._stopped,
        )
        self.ensure_threads()
        if self.kinds.compute_modules():
            threading.Thread(
                target=self._execution.compute.warm_up, name="compute-warm-up", daemon=True
            ).start()
        log.info(
            "job_runner_started",
            workers=self.options.workers,
            thread_nice=self.options.thread_nice,
            owner=self.owner,
        )

    def _dispatcher(self, executor: ThreadPoolExecutor) -> Dispatcher:
        return Dispatcher(
            self._store_factory,
            self._running,
            self._execution,
            self.reachability,
            executor,
            owner=self.owner,
            workers=self.options.workers,
            is_accepting=lambda: self.is_accepting,
            is_paused=lambda: self._is_paused(),
            stop_requested=self._stop_requested,
            stopped=self._stopped,
        )

    def _maintenance_loop(self) -> Callable[[], None]:
        maintenance = Maintenance(
            self._store_factory,
            self.reachability,
            self._running,
            owner=self.owner,
            lease_seconds=self.options.lease_seconds,
            recovery_scan_seconds=self.options.recovery_scan_seconds,
            events=lambda: self.events,
        )
        return lambda: maintenance.loop(self._stop_requested, self._stopped)

    def ensure_threads(self) -> bool:
        """Start any dispatcher or maintenance thread that is not running; False if one could
        not be started (the process then cannot run jobs: readiness fails)."""
        if self._threads is None or self._stop_requested.is_set():
            return True
        return self._threads.ensure_running()

    def threads_alive(self) -> bool:
        """True when the dispatcher and maintenance threads run (or the runner is not started
        or stopping)."""
        if self._threads is None or self._stop_requested.is_set():
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
        stragglers = self._drain.run(deadline)
        self._stopped.set()
        return stragglers

    def hurry_drain(self) -> None:
        """End a drain's wait now (signal-handler safe: no lock, the drain polls)."""
        self.stop_accepting()
        self._drain.hurry()

    def shutdown(self, *, join_timeout_s: float = IDLE_POLL_S + 1) -> None:
        """Stop the threads; running jobs are told they were cancelled (tests and process exit).

        At process exit pass join_timeout_s=0: the dispatcher may sit in its blocking wait for
        up to IDLE_POLL_S, and its daemon thread ends with the process anyway.
        """
        self.stop_accepting()
        self._stopped.set()
        for job in self.running():
            job.context.cancelled.set()
        self._execution.compute.stop_all()
        if self._threads is not None:
            self._threads.join(join_timeout_s)
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
        self._executor = None

    def running(self) -> list[RunningJob]:
        """The attempts running in this process now."""
        return self._running.snapshot()

    def utilization(self) -> float:
        """Busy executor threads as a fraction of all of them."""
        return self._running.count() / self.options.workers
