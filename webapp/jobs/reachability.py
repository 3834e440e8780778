"""What this process has seen of Redis lately: whether it has answered steadily for a while.

After an outage every lease may have run out on Redis's clock although every owner is alive and
only waiting to renew. Recovery requeues the jobs of expired leases, so a process that has seen
Redis fail or stall holds its recovery back until Redis has answered it steadily, from its first
good answer after the trouble, for one and a half leases: by then every live owner has renewed
(three heartbeats a lease), even one that got back to Redis a while after this process did, and
only the leases of processes that really died are still expired. A process that has just
started knows nothing of the time before (it may be a new pod, or a restart, right after an
outage), so it waits the same way from its first answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from webapp.jobs.errors import JobVanishedError, ReplicationTimeoutError, is_transient_redis_error
from webapp.jobs.events import JobEvents


class Reachability:
    """Tracks Redis trouble seen by this process (errors, and calls that stalled)."""

    def __init__(self, lease_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.steady_after_s = lease_seconds * 1.5
        # A call this much slower than expected means Redis (or the way to it) stalled.
        self.stall_s = lease_seconds / 4
        # Since when Redis has answered without trouble; None: not since the last trouble, or
        # not yet since this process started.
        self._reachable_since: float | None = None

    def trouble(self) -> None:
        """Record that a Redis call failed just now."""
        self._reachable_since = None

    def took(self, started: float, expected_s: float = 0.0) -> None:
        """Record a call that began at `started` (monotonic) and answered: a stall counts as
        trouble, an answer in time as Redis being reachable."""
        now = self._clock()
        if now - started - expected_s > self.stall_s:
            self.trouble()
        elif self._reachable_since is None:
            self._reachable_since = now

    def is_steady(self) -> bool:
        """True when Redis has answered without trouble for one and a half leases."""
        since = self._reachable_since
        return since is not None and self._clock() - since >= self.steady_after_s

    def absorb(self, error: Exception, events: JobEvents) -> None:
        """Re-raise `error` unless the write may be tried again: a transient Redis error (that
        counts as trouble), too few replicas confirming it yet, or a job Redis lost that its
        owner's heartbeat is writing back."""
        if isinstance(error, ReplicationTimeoutError | JobVanishedError):
            return
        if not is_transient_redis_error(error):
            raise error
        self.trouble()
        events.redis_error()
