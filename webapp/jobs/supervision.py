"""Background loops that are restarted when they fail, so a bug cannot stop a process's jobs.

A loop that raises is logged and run again after a pause; a thread that is gone anyway (a
BaseException) is started anew by `ensure_running`, which readiness calls: /ready fails only
when a thread cannot be started at all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import structlog

log = structlog.get_logger(__name__)

# Pause before a loop that raised runs again (seconds).
RESTART_DELAY_S = 1.0


class SupervisedThreads:
    """Named daemon threads, each running one loop until `stopped` is set."""

    def __init__(self, loops: dict[str, Callable[[], None]], stopped: threading.Event) -> None:
        self._loops = loops
        self._stopped = stopped
        self._threads: dict[str, threading.Thread] = {}

    def ensure_running(self) -> bool:
        """Start every loop whose thread is not alive; False if one could not be started."""
        for name, loop in self._loops.items():
            thread = self._threads.get(name)
            if thread is not None and thread.is_alive():
                continue
            if thread is not None:
                log.error("job_thread_restarted", thread=name)
            thread = threading.Thread(target=self._run, args=(name, loop), name=name, daemon=True)
            try:
                thread.start()
            except RuntimeError:
                log.exception("job_thread_not_started", thread=name)
                return False
            self._threads[name] = thread
        return True

    def all_alive(self) -> bool:
        """True when every loop has a live thread."""
        return all(
            (thread := self._threads.get(name)) is not None and thread.is_alive()
            for name in self._loops
        )

    def join(self, timeout_s: float) -> None:
        """Wait up to timeout_s for each thread (after `stopped` was set)."""
        for thread in self._threads.values():
            thread.join(timeout=timeout_s)
        self._threads.clear()

    def _run(self, name: str, loop: Callable[[], None]) -> None:
        while not self._stopped.is_set():
            try:
                loop()
                return
            except Exception:
                log.exception("job_thread_crashed", thread=name)
                self._stopped.wait(RESTART_DELAY_S)
