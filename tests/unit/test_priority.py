"""Job threads are lowered in CPU priority, and only they are."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from webapp.jobs.priority import MAX_NICE, lower_current_thread

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice")


def _in_thread(increment: int) -> tuple[int | None, int, int]:
    """(return value, the thread's nice value after, the process's main-thread nice value)."""
    seen: dict[str, int | None] = {}

    def body() -> None:
        seen["returned"] = lower_current_thread(increment)
        seen["after"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    return seen["returned"], seen["after"], os.getpriority(os.PRIO_PROCESS, 0)


@linux_only
def test_only_the_calling_thread_is_lowered() -> None:
    before = os.getpriority(os.PRIO_PROCESS, 0)
    returned, thread_nice, main_nice = _in_thread(5)
    assert thread_nice == min(MAX_NICE, before + 5)
    assert returned == thread_nice
    assert main_nice == before


@linux_only
def test_the_nice_value_is_capped() -> None:
    returned, thread_nice, _ = _in_thread(MAX_NICE + 10)
    assert thread_nice == MAX_NICE
    assert returned == MAX_NICE


def test_zero_changes_nothing() -> None:
    before = os.getpriority(os.PRIO_PROCESS, 0)
    returned, thread_nice, _ = _in_thread(0)
    assert returned is None
    assert thread_nice == before
