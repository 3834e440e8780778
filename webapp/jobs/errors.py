"""How a job can end badly, and which errors are worth another try.

A job's own error (bad input, no feasible lineup) fails it at once. An error of something the job
depends on being out of reach for a while (Redis down, failing over or refusing writes, Neo4j
unavailable) is transient: the job goes back on the queue with a back-off instead.
"""

from __future__ import annotations

import redis

# Redis answers with these prefixes while it cannot take a write for a while: a demoted primary
# after a failover (READONLY), a failed background save (MISCONF), memory full under noeviction
# (OOM), a restart loading its data (LOADING), a Sentinel-managed primary with no replica
# (NOREPLICAS), a cluster mid-resharding (TRYAGAIN), a replica cut off from its primary
# (MASTERDOWN). redis-py maps some of them to subclasses of ResponseError, not all.
_TRANSIENT_REPLIES = (
    "READONLY",
    "MISCONF",
    "OOM",
    "LOADING",
    "NOREPLICAS",
    "TRYAGAIN",
    "MASTERDOWN",
)
_TRANSIENT_REDIS_CLASSES = (
    redis.ConnectionError,  # includes BusyLoadingError (LOADING)
    redis.TimeoutError,
    redis.exceptions.ReadOnlyError,
    redis.exceptions.OutOfMemoryError,
    redis.exceptions.MasterDownError,
    redis.exceptions.TryAgainError,
)


class JobFailedError(Exception):
    """Raised by a job function to fail its job with a message meant for the client and a
    machine-readable `code` (stored as the record's error_code)."""

    def __init__(self, message: str, code: str = "job_failed") -> None:
        super().__init__(message)
        self.code = code


class TransientJobError(Exception):
    """Raised by a job function when a dependency is out of reach for now: retry the job later."""


def is_transient_redis_error(error: BaseException) -> bool:
    """True for a Redis error that clears by itself: worth a retry, never a failed job or a 500."""
    if isinstance(error, _TRANSIENT_REDIS_CLASSES):
        return True
    if isinstance(error, redis.ResponseError):
        return str(error).lstrip().upper().startswith(_TRANSIENT_REPLIES)
    return False


def is_transient(error: BaseException) -> bool:
    """True when a job that raised `error` should be requeued rather than failed."""
    return isinstance(error, TransientJobError) or is_transient_redis_error(error)
