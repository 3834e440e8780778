"""Long-poll on a job's status: block on Redis until it changes, bounded per process.

Every status-changing script leaves a token on the job's notify list (`keys.notify`). A waiter
reads the status, then BLPOPs that list in slices shorter than the socket timeout, re-reading the
status after each token. A token wakes one waiter only, so a waiter that saw the change passes a
token on before it answers: every waiter of a change wakes, and a stale token costs one re-read.
The token is written by the same script as the change, so no change goes unannounced.
"""

from __future__ import annotations

import threading
import time

from flask import Flask

from webapp.extensions import Key
from webapp.jobs.record import JobRecord
from webapp.jobs.service import status
from webapp.jobs.states import TERMINAL
from webapp.jobs.store import JobStore

MAX_WAIT_SECONDS = 30  # the longest ?wait= a request may ask for
# Retry-After (seconds) of a read that found every waiting slot taken: a client looping on ?wait
# pauses this long instead of asking again at once.
BUSY_RETRY_AFTER_S = 1


class StatusWaiters:
    """How many requests of this process may block on a job status at once (each holds a
    request thread and a Redis connection while it waits)."""

    def __init__(self, limit: int, slice_s: float) -> None:
        self._slots = threading.BoundedSemaphore(limit)
        self._slice_s = slice_s

    def wait(
        self,
        store: JobStore,
        run_id: str,
        timeout_s: float,
        *,
        with_input: bool = False,
        tenant: str | None = None,
    ) -> tuple[JobRecord, bool]:
        """The job's record once its status differs from now, or after timeout_s; the flag is
        False when every slot was taken and the record was read without waiting. Another
        tenant's job, live or expired, is JobNotFoundError at once (as service.status)."""
        record = status(store, run_id, with_input=with_input, tenant=tenant)
        if record.status in TERMINAL or timeout_s <= 0:
            return record, True
        if not self._slots.acquire(blocking=False):
            return record, False
        try:
            return self._wait_for_change(store, record, timeout_s, with_input), True
        finally:
            self._slots.release()

    def _wait_for_change(
        self, store: JobStore, before: JobRecord, timeout_s: float, with_input: bool
    ) -> JobRecord:
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            if not store.wait_for_notice(before.run_id, min(left, self._slice_s)):
                continue
            current = store.get(before.run_id, with_input=with_input)
            if current.status != before.status:
                store.pass_notice(before.run_id)
                return current
        return store.get(before.run_id, with_input=with_input)


WAITERS: Key[StatusWaiters] = Key("webapp.status_waiters", "webapp.jobs.status_wait.init_app")


def init_app(app: Flask, limit: int, socket_timeout_s: float) -> None:
    """Give `app` its waiter bound; each BLPOP stays well under the Redis socket timeout."""
    WAITERS.register(app, StatusWaiters(limit, max(socket_timeout_s / 2, 0.05)))


def get_waiters(app: Flask) -> StatusWaiters:
    """The app's waiter bound."""
    return WAITERS.lookup(app)
