"""Every exception of the job system, and which errors are worth another try.

A job's own error (bad input, no feasible lineup) fails it at once. An error of something the job
depends on being out of reach for a while (Redis down, failing over or refusing writes, Neo4j
unavailable) is transient: the job goes back on the queue with a back-off instead. None of these
knows HTTP: `api/errors.py` maps them to responses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import redis

if TYPE_CHECKING:
    from webapp.jobs.durability import WaitPolicy
    from webapp.jobs.record import JobRecord

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


# ---------------------------------------------------------------- what the store answers


class JobNotFoundError(LookupError):
    """No job with this id ever existed (or its tombstone is gone too)."""


class JobExpiredError(LookupError):
    """The job existed but its record has expired.

    `tenant` is the tenant the job belonged to (None: it had none); `owner_known` is False for
    a tombstone from before tombstones named their job's tenant, which proves no one owns it."""

    def __init__(self, run_id: str, tenant: str | None = None, *, owner_known: bool = True) -> None:
        super().__init__(run_id)
        self.run_id = run_id
        self.tenant = tenant
        self.owner_known = owner_known


class IdempotencyConflictError(Exception):
    """The Idempotency-Key was used before with a different request body.

    Carries no run id: the key may be someone else's, and their run id guards their job."""

    def __init__(self) -> None:
        super().__init__("this Idempotency-Key was already used with a different request body")


class TransitionRefusedError(Exception):
    """A status change that the stored state does not allow (the job moved on, or this attempt
    no longer owns it)."""

    def __init__(self, current: str | None, new: str) -> None:
        self.current = current
        self.new = new
        super().__init__(f"job cannot go from {current} to {new}")


class ReplicationTimeoutError(Exception):
    """Too few replicas confirmed a write in time. A new job is then withdrawn, not accepted; an
    attempt's finish stands on the primary and is written again until the replicas hold it."""

    def __init__(self, acked: int, wait: WaitPolicy) -> None:
        self.acked = acked
        self.wait = wait
        super().__init__(
            f"{acked} of {wait.replicas} replica(s) confirmed the job within {wait.timeout_ms} ms"
        )


class JobVanishedError(Exception):
    """Redis lost a running job's record (a restart from an older snapshot, a failover to a
    replica that never had it). Its owner's heartbeat writes the record back from the claim, so
    a finish that met this is retried, not dropped."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        super().__init__(f"Redis has lost the record of running job {run_id}")


class ResultNotReadyError(Exception):
    """The job has no result (yet): it is pending or running, or it failed."""

    def __init__(self, record: JobRecord) -> None:
        self.record = record
        super().__init__(f"job {record.run_id} is {record.status}")


# ---------------------------------------------------------------- what a running job raises


class JobCancelledError(Exception):
    """This attempt no longer owns its job (handed back or reclaimed): stop without writing."""


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


# ---------------------------------------------------------------- which errors clear by themselves


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


class LimitReachedError(Exception):
    """A tenant's submit is past one of its limits (`limit`: max_pending or rate); nothing
    was stored. `retry_after_s`: when trying again may succeed."""

    def __init__(self, tenant: str, limit: str, retry_after_s: int) -> None:
        super().__init__(f"the submit is past tenant {tenant}'s {limit} limit")
        self.tenant = tenant
        self.limit = limit
        self.retry_after_s = retry_after_s
