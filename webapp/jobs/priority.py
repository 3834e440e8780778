"""A lower CPU priority for job threads, so request threads win the cores when both are busy.

Optimize jobs spend most of their time in native code (CP-SAT, numpy) with the GIL released, so
two of them keep both cores of a small machine busy; at the same priority a status read then
waits its turn behind them in the kernel's run queue. On Linux the nice value is a per-thread
attribute (setpriority(2) on a thread id), so only the executor threads are lowered. Elsewhere
setpriority would renice the whole process, so nothing is changed there.
"""

from __future__ import annotations

import os
import sys
import threading

import structlog

log = structlog.get_logger(__name__)

MAX_NICE = 19


def lower_current_thread(increment: int) -> int | None:
    """Raise the calling thread's nice value by `increment` (capped at 19); the new value, or
    None when nothing was changed (increment 0, not Linux, or the kernel refused)."""
    if increment <= 0 or not sys.platform.startswith("linux"):
        return None
    thread_id = threading.get_native_id()
    try:
        current = os.getpriority(os.PRIO_PROCESS, thread_id)
        wanted = min(MAX_NICE, current + increment)
        os.setpriority(os.PRIO_PROCESS, thread_id, wanted)
    except OSError as error:
        log.warning("job_thread_priority_unchanged", error=str(error))
        return None
    return wanted
