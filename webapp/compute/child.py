"""What runs in a compute child: set its limits, then run the jobs its thread sends, one at a
time (a child is kept for the next job of its slot unless it had to be stopped).

From the thread: (compute, payload, state) per job, None to stop. To the thread:
  ("progress", fraction, phase)   at most every PROGRESS_EVERY_S, and whenever the phase changes
  ("checkpoint", state)           at most every CHECKPOINT_SEND_EVERY_S (the thread keeps the latest
                                  and writes it to Redis on a cadence and at a hand-back)
  ("done", result)
  ("failed", message, code)       JobFailedError, or MemoryError as out_of_memory
  ("error", description, traceback)
"""

from __future__ import annotations

import ctypes
import os
import signal
import time
import traceback
from multiprocessing.connection import Connection
from typing import Any

from webapp.compute.kind import Compute
from webapp.jobs.errors import JobFailedError

PROGRESS_EVERY_S = 0.25
# Resume states go to the thread at most this often: the thread writes them to Redis every few
# seconds anyway, and a state per lineup would be pickled (and unpickled in the worker that
# answers HTTP) hundreds of times a job.
CHECKPOINT_SEND_EVERY_S = 1.0
# The name `ps` and /proc/<pid>/comm show for a compute child.
PROCESS_NAME = b"webapp-compute"
_PR_SET_NAME, _PR_SET_PDEATHSIG = 15, 1


class ChildCheckpoint:
    """The checkpoint a compute function sees: the state its job had when the child started,
    and saves that go to the job thread, at most every CHECKPOINT_SEND_EVERY_S."""

    def __init__(self, conn: Connection, state: dict[str, Any] | None) -> None:
        self._conn = conn
        self._state = state
        self._sent_at = time.monotonic()

    def load(self) -> dict[str, Any] | None:
        return self._state

    def save(self, state: dict[str, Any]) -> None:
        now = time.monotonic()
        if now - self._sent_at >= CHECKPOINT_SEND_EVERY_S:
            self._sent_at = now
            self._conn.send(("checkpoint", state))


class ChildContext:
    """Progress and checkpoint for a compute function; progress is sent at most every
    PROGRESS_EVERY_S unless the phase changes or the work is done."""

    def __init__(self, conn: Connection, state: dict[str, Any] | None) -> None:
        self._conn = conn
        self.checkpoint = ChildCheckpoint(conn, state)
        self._phase: str | None = None
        self._sent_at = 0.0

    def progress(self, fraction: float, phase: str = "") -> None:
        now = time.monotonic()
        if phase == self._phase and fraction < 1.0 and now - self._sent_at < PROGRESS_EVERY_S:
            return
        self._phase, self._sent_at = phase, now
        self._conn.send(("progress", fraction, phase))


def die_with_supervisor(supervisor_pid: int) -> None:
    """Be killed when the forkserver that forked us exits (Linux), and exit now if the worker
    that supervises us is already gone.

    The forkserver exits when its worker does (it reads EOF on a pipe only the worker holds), so
    a worker killed with SIGKILL takes its compute children with it."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        libc.prctl(_PR_SET_NAME, ctypes.c_char_p(PROCESS_NAME))
    except (OSError, AttributeError):  # not Linux: the supervisor's terminate still applies
        return
    try:
        os.kill(supervisor_pid, 0)
    except ProcessLookupError:
        os._exit(1)


def child_main(conn: Connection, nice: int, supervisor_pid: int) -> None:
    """The entry point of a compute child: run jobs sent by its thread, one at a time, until
    told to stop (None) or the pipe closes."""
    die_with_supervisor(supervisor_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's ^C is for gunicorn, not us
    if nice:
        os.nice(nice)
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        run_job(conn, *job)


def run_job(conn: Connection, compute: Compute, payload: Any, state: dict[str, Any] | None) -> None:
    """Run one compute function and send its outcome."""
    try:
        result = compute(payload, ChildContext(conn, state))
    except JobFailedError as error:
        conn.send(("failed", str(error), error.code))
    except MemoryError:
        conn.send(("failed", "the job ran out of memory", "out_of_memory"))
    except Exception as error:
        conn.send(("error", f"{type(error).__name__}: {error}", traceback.format_exc()))
    else:
        conn.send(("done", result))
