"""The job thread's side of a compute child: start it, relay what it sends, stop it.

One child per running job, forked by this process's forkserver (never a fork of the threaded
worker itself), which imported the compute code once, so a child starts in milliseconds. A child is
stopped (SIGTERM, then SIGKILL after STOP_GRACE_S) when its job is cancelled, loses its lease, is
handed back by a drain, or passes the time or memory limit; a child that dies on its own is a
crashed attempt. None of this touches the worker's other jobs or its request threads.
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
from webapp.jobs.context import JobCancelledError, JobContext
from webapp.jobs.errors import ComputeCrashedError, JobFailedError

log = structlog.get_logger(__name__)

# How often the thread looks at its child between messages (cancel, limits), in seconds.
POLL_S = 0.1
# How long a silent child's job may go without a look at whether it is still ours.
OWNERSHIP_CHECK_S = 0.5
# How long a stopped child gets between SIGTERM and SIGKILL.
STOP_GRACE_S = 1.0
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


class ComputeProcesses:
    """This process's compute children: one per running job of a ProcessKind."""

    def __init__(self, limits: ComputeLimits, preload: Iterable[str] = ()) -> None:
        self.limits = limits
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(["webapp.compute.child", *preload])
        self._children: set[BaseProcess] = set()
        self._lock = threading.Lock()
        self._closed = False

    def run(self, kind: ProcessKind, job_input: dict[str, Any], context: JobContext) -> Any:
        """Run `kind` for one attempt and return its result. Raises JobFailedError (its own
        failure, or `timed_out` / `out_of_memory`), ComputeCrashedError, ComputeError, or
        JobCancelledError once the attempt lost its job (the child is stopped in every case)."""
        payload = kind.prepare(job_input)
        if isinstance(payload, Done):
            return payload.result
        reader, writer = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=child_main,
            args=(writer, kind.compute, payload, context.checkpoint.load(), self.limits.nice),
            kwargs={"supervisor_pid": os.getpid()},
            name=f"compute-{context.run_id}",
            daemon=True,
        )
        self._start(process)
        writer.close()
        try:
            return _Watch(process, reader, context, self.limits).until_outcome()
        finally:
            self._stop(process)
            reader.close()

    def stop_all(self) -> None:
        """Stop every child and start no more (worker exit)."""
        with self._lock:
            self._closed = True
            children = list(self._children)
        for process in children:
            self._stop(process)

    def _start(self, process: BaseProcess) -> None:
        with self._lock:
            if self._closed:  # the worker is stopping: leave the job to a hand-back or its lease
                raise JobCancelledError("compute is closed")
            process.start()
            self._children.add(process)

    def _stop(self, process: BaseProcess) -> None:
        if process.is_alive():
            process.terminate()
            process.join(STOP_GRACE_S)
        if process.is_alive():
            process.kill()
        process.join()
        with self._lock:
            self._children.discard(process)


class _Watch:
    """One child's messages and limits, read on the job thread until an outcome."""

    def __init__(
        self, process: BaseProcess, reader: Connection, context: JobContext, limits: ComputeLimits
    ) -> None:
        self.process, self.reader, self.context, self.limits = process, reader, context, limits
        self.started = time.monotonic()
        self.checked_at = self.started

    def until_outcome(self) -> Any:
        while True:
            self.context.raise_if_cancelled()
            if self.reader.poll(POLL_S):
                try:
                    message = self.reader.recv()
                except EOFError:
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
        elif what == "checkpoint":
            self.context.checkpoint.keep(message[1])
        elif what == "done":
            return True, message[1]
        elif what == "failed":
            raise JobFailedError(message[1], message[2])
        elif what == "error":
            raise ComputeError(message[1], message[2])
        return False, None

    def _crashed(self) -> ComputeCrashedError:
        self.process.join(STOP_GRACE_S)
        self.context.checkpoint.flush()  # the next attempt resumes from the latest state
        code = self.process.exitcode
        how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        return ComputeCrashedError(f"the compute process died ({how})")

    def _check_limits(self) -> None:
        elapsed = time.monotonic() - self.started
        if elapsed > self.limits.timeout_s:
            raise JobFailedError(
                f"the job ran longer than JOB_TIMEOUT_SECONDS={self.limits.timeout_s:g}",
                "timed_out",
            )
        rss_mb = _resident_mb(self.process.pid)
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
