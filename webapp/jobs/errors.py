"""How a job can end badly, and which errors are worth another try.

A job's own error (bad input, no feasible lineup) fails it at once. An error of something the job
depends on being out of reach for a while (Redis down, failing over or refusing writes, Neo4j
unavailable) is transient: the job goes back on the queue with a back-off instead.
"""

from __future__ import annotations

import redis

# Error replies that mean "not now" rather than "never": a replica or demoted primary after a
# failover (READONLY), full memory under noeviction (OOM), a dataset still loading (LOADING, a
# ConnectionError in redis-py), no primary (MASTERDOWN), a cluster retry (TRYAGAIN); redis-py
# gives these their own classes and strips the code. Replies it leaves as a plain ResponseError
# keep their code at the start: a failed background save (MISCONF), too few replicas
# (NOREPLICAS), a long-running script (BUSY).
_TRANSIENT_REDIS_CLASSES = (
    redis.ConnectionError,
    redis.TimeoutError,
    redis.exceptions.ReadOnlyError,
    redis.exceptions.OutOfMemoryError,
    redis.exceptions.MasterDownError,
    redis.exceptions.TryAgainError,
)
_TRANSIENT_REPLY_CODES = frozenset(
    {"MISCONF", "NOREPLICAS", "BUSY", "READONLY", "OOM", "LOADING", "MASTERDOWN", "TRYAGAIN"}
)
_PIPELINE_PREFIX_END = "of pipeline caused error: "


class JobFailedError(Exception):
    """Raised by a job function to fail its job with a message meant for the client and a
    machine-readable `code` (stored as the record's error_code)."""

    def __init__(self, message: str, code: str = "job_failed") -> None:
        super().__init__(message)
        self.code = code


class ComputeCrashedError(Exception):
    """A job's compute process died without an outcome (a signal, the OOM killer): the attempt
    is charged and the job retried, up to MAX_ATTEMPTS, then failed as `compute_crashed`."""


class TransientJobError(Exception):
    """Raised by a job function when a dependency is out of reach for now: retry the job later.

    The message goes into the job's public `error` unless `public_message` says what to show
    instead (a subclass whose message names a host or port sets it)."""

    public_message: str | None = None


def is_transient_redis_error(error: BaseException) -> bool:
    """True for a Redis error that clears by itself: worth a retry, never a failed job or a 500."""
    if isinstance(error, _TRANSIENT_REDIS_CLASSES):
        return True
    if isinstance(error, redis.ResponseError):
        # In a pipeline redis-py prefixes the reply: "Command # 1 (...) of pipeline caused
        # error: MISCONF ...".
        reply = str(error).rpartition(_PIPELINE_PREFIX_END)[2]
        return reply.split(" ", 1)[0].upper() in _TRANSIENT_REPLY_CODES
    return False


def is_transient(error: BaseException) -> bool:
    """True when a job that raised `error` should be requeued rather than failed."""
    return isinstance(error, TransientJobError) or is_transient_redis_error(error)


def public_error(error: BaseException) -> str:
    """What a job's `error` tells the client about `error`: which dependency failed, or what kind
    of error stopped the job, and never a message that can name a host (redis-py's "Error 111
    connecting to 10.0.0.5:6379"); the logs keep the full message."""
    if isinstance(error, TransientJobError):
        return error.public_message or str(error)
    if isinstance(error, ComputeCrashedError):  # names a signal or exit code, never a host
        return str(error)
    if is_transient_redis_error(error):
        return f"the job store (Redis) could not be used ({type(error).__name__})"
    return f"an unexpected error ({type(error).__name__}) stopped the job"
