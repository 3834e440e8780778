"""Redis answering with an error instead of going away: READONLY, MISCONF, OOM.

A demoted primary (after a failover) answers writes with READONLY, a failed background save
with MISCONF (stop-writes-on-bgsave-error), a full instance under noeviction with OOM. While one
of them lasts, a result that finished is held and written once the condition clears (the job
completes with a single run of its function), and POST /optimize answers 503 with
Retry-After, never 500.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import redis
import requests

from tests.conftest import SHARED_REDIS_URL, valid_players
from tests.support.fault_summary import FaultReport
from tests.support.gunicorn_server import GunicornServer
from tests.support.jobs_view import counts, post_job, statuses
from tests.support.redis_server import RedisServer
from tests.support.waiting import wait_until
from webapp.config import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# CONFIG SET dir is a protected setting since Redis 7; replicas sync at once, not after 5 s.
SERVER_ARGS = ("--enable-protected-configs", "yes", "--repl-diskless-sync-delay", "0")


class Condition:
    """Makes a Redis primary refuse writes with one kind of error, then undoes it."""

    def __init__(self, primary: RedisServer, start_redis_server: Callable[..., RedisServer]):
        self.primary = primary
        self.client = primary.client()

    def inject(self) -> None:
        raise NotImplementedError

    def clear(self) -> None:
        raise NotImplementedError

    def assert_in_force(self) -> None:
        """The primary really refuses a write now, with the expected error (redis-py strips the
        error code from some messages)."""
        with pytest.raises(redis.ResponseError, match=self.error_prefix):
            self.client.set("fault-probe", "x")

    error_prefix = ""  # a regex for the error message


class Oom(Condition):
    error_prefix = "maxmemory"

    def inject(self) -> None:
        self.client.config_set("maxmemory-policy", "noeviction")
        self.client.config_set("maxmemory", "1")

    def clear(self) -> None:
        self.client.config_set("maxmemory", "0")


class Misconf(Condition):
    """A background save into a directory that has gone away."""

    error_prefix = "MISCONF|RDB snapshots"

    def inject(self) -> None:
        gone = self.primary.directory / "gone"
        gone.mkdir()
        self.client.config_set("dir", str(gone))
        self.client.config_set("save", "3600 1")
        gone.rmdir()
        self.client.bgsave()
        wait_until(lambda: self._bgsave_status() == "err", 5)

    def clear(self) -> None:
        self.client.config_set("dir", str(self.primary.directory))
        self.client.bgsave()
        wait_until(lambda: self._bgsave_status() == "ok", 5)

    def _bgsave_status(self) -> str:
        info = self.client.info("persistence")
        return "" if info["rdb_bgsave_in_progress"] else info["rdb_last_bgsave_status"]


class ReadOnly(Condition):
    """A failover and back: the replica is promoted, the primary follows it (READONLY)."""

    error_prefix = "read only replica"

    def __init__(self, primary: RedisServer, start_redis_server: Callable[..., RedisServer]):
        super().__init__(primary, start_redis_server)
        self.replica = start_redis_server(appendonly=False, extra_args=SERVER_ARGS).client()
        self._follow(self.replica, primary.port)

    def inject(self) -> None:
        # A controlled failover: the replica has every write before it is promoted.
        assert self.client.wait(1, 5000) == 1
        self.replica.replicaof("NO", "ONE")
        self._follow(self.client, self.replica.connection_pool.connection_kwargs["port"])

    def clear(self) -> None:
        assert self.replica.wait(1, 5000) == 1
        self.client.replicaof("NO", "ONE")
        self._follow(self.replica, self.primary.port)

    @staticmethod
    def _follow(client: redis.Redis, port: int) -> None:
        client.replicaof("127.0.0.1", port)
        wait_until(lambda: client.info("replication").get("master_link_status") == "up", 10)


CONDITIONS = pytest.mark.parametrize(
    "condition_type", [ReadOnly, Misconf, Oom], ids=lambda c: c.__name__
)


@pytest.fixture
def primary(start_redis_server: Callable[..., RedisServer]) -> RedisServer:
    return start_redis_server(appendonly=False, extra_args=SERVER_ARGS)


@pytest.fixture
def service(
    primary: RedisServer, start_gunicorn: Callable[..., GunicornServer], settings: Settings
) -> GunicornServer:
    """One gunicorn worker on the primary; start counters on the shared Redis."""
    return start_gunicorn(
        {
            "REDIS_URL": primary.url,
            "REDIS_KEY_PREFIX": settings.redis_key_prefix,
            "TEST_COUNTER_REDIS_URL": SHARED_REDIS_URL,
            "JOB_LEASE_SECONDS": "3",
            "RECOVERY_SCAN_SECONDS": "0.5",
            "REDIS_SOCKET_TIMEOUT": "2",
        }
    )


@CONDITIONS
def test_a_result_finished_during_a_redis_error_is_written_once_it_clears(
    condition_type: type[Condition],
    start_redis_server: Callable[..., RedisServer],
    primary: RedisServer,
    service: GunicornServer,
    real_redis: redis.Redis,
    settings: Settings,
    fault_report: FaultReport,
) -> None:
    """The job function returns while Redis refuses writes, which lasts longer than a lease;
    once writes are allowed again the job is complete with one run of its function."""
    condition = condition_type(primary, start_redis_server)
    prefix = settings.redis_key_prefix
    run_id = post_job(service.url, "sleep:1.5")
    fault_report.watch(primary.client(), real_redis, prefix, [run_id])
    wait_until(lambda: counts(real_redis, prefix, "starts", [run_id]) == [1], 10)

    condition.inject()
    condition.assert_in_force()
    # The job's 1.5 s end while writes are refused; then more than a lease (3 s) goes by.
    time.sleep(5.0)
    condition.clear()

    wait_until(
        lambda: statuses(primary.client(), prefix, [run_id]) == ["complete"],
        15,
        message=f"status {statuses(primary.client(), prefix, [run_id])}",
    )
    assert counts(real_redis, prefix, "starts", [run_id]) == [1]


@CONDITIONS
def test_a_submit_during_a_redis_error_answers_503(
    condition_type: type[Condition],
    start_redis_server: Callable[..., RedisServer],
    primary: RedisServer,
    service: GunicornServer,
) -> None:
    """POST /optimize while Redis refuses writes: 503 with Retry-After, never a 500."""
    condition = condition_type(primary, start_redis_server)
    condition.inject()
    condition.assert_in_force()

    body = {"slate_id": "noop", "players": valid_players(), "n_scenarios": 0}
    submit = requests.post(f"{service.url}/optimize", json=body, timeout=10)
    condition.clear()

    assert submit.status_code == 503, submit.text
    assert submit.headers.get("Retry-After")
