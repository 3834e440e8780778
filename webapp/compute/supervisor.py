"""The job thread's side of compute children: hand a job to one, relay what it sends, stop it.

A child is forked by this process's forkserver (never a fork of the threaded worker itself),
which imported the compute code once. It runs one job at a time and is kept for the next job of
its slot, so a job pays neither a start nor cold caches, as in a Celery prefork pool. A child is
stopped (SIGTERM, then SIGKILL after STOP_GRACE_S) when its job is cancelled, loses its lease, is
handed back by a drain, or passes the time or memory limit; one that dies on its own is a crashed
attempt. None of this touches the worker's other jobs or its request threads.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

import structlog

from webapp.compute.child import child_main
from webapp.compute.kind import Done, ProcessKind
from webapp.jobs.context import JobContext
from webapp.jobs.errors import ComputeCrashedError, JobCancelledError, JobFailedError

log = structlog.get_logger(__name__)

# How often the thread looks at its child between messages (cancel, limits), in seconds.
POLL_S = 0.1
# How long a silent child's job may go without a look at whether it is still ours.
OWNERSHIP_CHECK_S = 0.5
# How long a stopped child gets between SIGTERM and SIGKILL.
STOP_GRACE_S = 1.0
# A child that holds more than this share of the memory limit after a job is not reused.
KEEP_BELOW_SHARE = 0.5
_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class ComputeLimits:
    """What one compute child may use: wall-clock seconds per attempt (JOB_TIMEOUT_SECONDS),
    resident memory (JOB_MEMORY_LIMIT_MB), and the nice increment it runs at."""

    timeout_s: float = 600.0
    memory_mb: int = 2048
    nice: int = 0


class ComputeError(Exception):
    """The compute function raised something unexpected; `details` is its traceback."""

    def __init__(self, description: str, details: str) -> None:
        super().__init__(description)
        self.details = details


@dataclass(eq=False)
class _Child:
    process: BaseProcess
    conn: Connection


class ComputeProcesses:
    """This process's compute children: each runs the jobs of ProcessKinds one at a time."""

    def __init__(self, limits: ComputeLimits, preload: Iterable[str] = ()) -> None:
        self.limits = limits
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(["webapp.compute.child", *preload])
        self._lock = threading.Lock()
        self._idle: list[_Child] = []
        self._busy: set[_Child] = set()
        self._closed = False

    def run(self, kind: ProcessKind, job_input: dict[str, Any], context: JobContext) -> Any:
        """Run `kind` for one attempt and return its result. Raises JobFailedError (its own
        failure, or `timed_out` / `out_of_memory`), ComputeCrashedError, ComputeError, or
        JobCancelledError once the attempt lost its job (its child is then stopped)."""
        payload = kind.prepare(job_input)
        if isinstance(payload, Done):
            return payload.result
        child = self._take()
        watch = _Watch(child, context, self.limits)
        try:
            child.conn.send((kind.compute, payload, context.checkpoint.load()))
            return watch.until_outcome()
        finally:
            self._give_back(child, reusable=watch.answered)

    def warm_up(self) -> None:
        """Start the forkserver and an idle child now, so the first job does not wait for
        the imports (called in the background when the runner starts)."""
        try:
            self._give_back(self._take(), reusable=True)
        except Exception as error:  # the first job will try again
            log.warning("compute_warm_up_failed", error=str(error))

    def stop_all(self) -> None:
        """Stop every child and start no more (worker exit)."""
        with self._lock:
            self._closed = True
            children = [*self._idle, *self._busy]
            self._idle.clear()
        for child in children:
            _stop(child)

    def _take(self) -> _Child:
        with self._lock:
            if self._closed:  # the worker is stopping: leave the job to a hand-back or its lease
                raise JobCancelledError("compute is closed")
            while self._idle:
                child = self._idle.pop()
                if child.process.is_alive():
                    self._busy.add(child)
                    return child
        # Started outside the lock: the first start waits for the forkserver's imports, and a
        # worker that stops meanwhile (stop_all) must not wait for them.
        parent, conn = self._context.Pipe()
        process = self._context.Process(
            target=child_main,
            args=(conn, self.limits.nice, os.getpid()),
            name="webapp-compute",
            daemon=True,
        )
        process.start()
        conn.close()
        child = _Child(process, parent)
        with self._lock:
            if not self._closed:
                self._busy.add(child)
                return child
        _stop(child)
        raise JobCancelledError("compute is closed")

    def _give_back(self, child: _Child, *, reusable: bool) -> None:
        keep = (
            reusable
            and child.process.is_alive()
            and _resident_mb(child.process.pid) < self.limits.memory_mb * KEEP_BELOW_SHARE
        )
        with self._lock:
            self._busy.discard(child)
            if keep and not self._closed:
                self._idle.append(child)
                return
        _stop(child)


def _stop(child: _Child) -> None:
    process = child.process
    if process.is_alive():
        process.terminate()
        process.join(STOP_GRACE_S)
    if process.is_alive():
        process.kill()
    process.join()
    child.conn.close()


class _Watch:
    """One job's messages and limits, read on the job thread until its outcome."""

    def __init__(self, child: _Child, context: JobContext, limits: ComputeLimits) -> None:
        self.child, self.context, self.limits = child, context, limits
        self.started = time.monotonic()
        self.checked_at = self.started
        self.answered = False  # the child sent an outcome: it can take the next job

    def until_outcome(self) -> Any:
        conn = self.child.conn
        while True:
            self.context.raise_if_cancelled()
            if conn.poll(POLL_S):
                try:
                    message = conn.recv()
                except (EOFError, OSError):
                    raise self._crashed() from None
                done, value = self._handle(message)
                if done:
                    return value
            self._check_limits()
            self._check_ownership()
            self.context.checkpoint.save_if_due()

    def _handle(self, message: tuple) -> tuple[bool, Any]:
        what = message[0]
        if what == "progress":
            self.context.progress(message[1], message[2])
            self.checked_at = time.monotonic()
            return False, None
        if what == "checkpoint":
            self.context.checkpoint.keep(message[1])
            return False, None
        self.answered = True
        if what == "failed":
            raise JobFailedError(message[1], message[2])
        if what == "error":
            raise ComputeError(message[1], message[2])
        return True, message[1]

    def _crashed(self) -> ComputeCrashedError:
        process = self.child.process
        process.join(STOP_GRACE_S)
        self.context.checkpoint.flush()  # the next attempt resumes from the latest state
        code = process.exitcode
        how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        return ComputeCrashedError(f"the compute process died ({how})")

    def _check_limits(self) -> None:
        elapsed = time.monotonic() - self.started
        if elapsed > self.limits.timeout_s:
            raise JobFailedError(
                f"the job ran longer than JOB_TIMEOUT_SECONDS={self.limits.timeout_s:g}",
                "timed_out",
            )
        rss_mb = _resident_mb(self.child.process.pid)
        if rss_mb > self.limits.memory_mb:
            raise JobFailedError(
                f"the job used more than JOB_MEMORY_LIMIT_MB={self.limits.memory_mb} "
                f"({rss_mb:.0f} MB)",
                "out_of_memory",
            )

    def _check_ownership(self) -> None:
        now = time.monotonic()
        if now - self.checked_at >= OWNERSHIP_CHECK_S:
            self.checked_at = now
            self.context.raise_if_not_owned()


def _resident_mb(pid: int | None) -> float:
    """Resident memory of process `pid` in MB (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * _PAGE_BYTES / 2**20
    except (OSError, IndexError, ValueError):
        return 0.0
