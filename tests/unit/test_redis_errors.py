"""Which Redis errors answer 503 (try again) and which are bugs (500)."""

from __future__ import annotations

import pytest
import redis
from redis import exceptions

from webapp.jobs.errors import is_transient_redis_error

TRANSIENT = [
    redis.ConnectionError("Error 111 connecting"),
    redis.TimeoutError("Timeout reading from socket"),
    exceptions.BusyLoadingError("Redis is loading the dataset in memory"),
    exceptions.ReadOnlyError("You can't write against a read only replica."),
    exceptions.OutOfMemoryError("command not allowed when used memory > 'maxmemory'."),
    exceptions.MasterDownError("Link with MASTER is down"),
    redis.ResponseError("MISCONF Redis is configured to save RDB snapshots, but it's currently"),
    redis.ResponseError("NOREPLICAS Not enough good replicas to write."),
    redis.ResponseError("BUSY Redis is busy running a script."),
    redis.ResponseError(
        "Command # 1 (EVALSHA 1f2e 5 dfs:job:x) of pipeline caused error: MISCONF Redis is "
        "configured to save RDB snapshots, but it's currently unable to persist to disk."
    ),
]
PERMANENT = [
    redis.ResponseError("WRONGTYPE Operation against a key holding the wrong kind of value"),
    redis.ResponseError("ERR unknown command 'FOO'"),
    exceptions.DataError("Invalid input of type: 'dict'"),
]


@pytest.mark.parametrize("error", TRANSIENT, ids=lambda e: type(e).__name__ + str(e)[:8])
def test_transient(error: redis.RedisError) -> None:
    """Connection trouble and "not now" replies may succeed on a retry."""
    assert is_transient_redis_error(error)


@pytest.mark.parametrize("error", PERMANENT, ids=lambda e: type(e).__name__ + str(e)[:8])
def test_permanent(error: redis.RedisError) -> None:
    """Wrong types, unknown commands and bad arguments are bugs, not outages."""
    assert not is_transient_redis_error(error)
