"""The fault scenarios with jobs of three tenants (AUTH_MODE=api_key): a worker killed with
kill -9, Redis restarted, a Sentinel failover, and a drain that hands jobs to another instance.

Tenants alice, bob and carol submit 6, 3 and 1 jobs. After each fault every accepted job is
complete, its function returned once (only the attempts the fault cut short started again), it
still belongs to its tenant (200 to its key, 404 to the others'), no other tenant's job waited
behind alice's backlog (a job put back on the queue is claimed in its tenant's turn), and no
queue, lease or stale turn is left behind.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
import requests

from tests.conftest import SHARED_REDIS_URL, valid_players
from tests.support.fault_summary import FaultReport
from tests.support.gunicorn_server import GunicornServer
from tests.support.jobs_view import child_pids, counts, statuses
from tests.support.redis_server import RedisServer
from tests.support.sentinel_set import SentinelSet
from tests.support.waiting import wait_until
from webapp.config import Settings
from webapp.jobs.keys import Keys
from webapp.jobs.limits import Limits
from webapp.tenants.api_keys import ApiKeys

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# How many jobs each tenant submits; alice's backlog is the one the others must not wait behind.
JOBS_OF = {"alice": 6, "bob": 3, "carol": 1}
BACKLOG = "alice"
LEASE_S = 1.5


@dataclass
class Tenants:
    """Three tenants' Authorization headers and the jobs each submitted, in submit order."""

    auth: dict[str, dict[str, str]]
    jobs: dict[str, list[str]] = field(default_factory=lambda: {name: [] for name in JOBS_OF})

    @property
    def run_ids(self) -> list[str]:
        return [run_id for name in JOBS_OF for run_id in self.jobs[name]]

    def submit(self, base: str, name: str, script: str) -> str:
        """POST /optimize as tenant `name`; fails unless the service accepted it (202)."""
        body = {"slate_id": script, "players": valid_players(), "n_scenarios": 0}
        response = requests.post(f"{base}/optimize", json=body, headers=self.auth[name], timeout=10)
        assert response.status_code == 202, response.text
        self.jobs[name].append(response.json()["run_id"])
        return self.jobs[name][-1]

    def submit_all(self, base: str, order: list[str], script: str) -> None:
        """Each tenant's jobs, tenant after tenant in `order`."""
        for name in order:
            for _ in range(JOBS_OF[name]):
                self.submit(base, name, script)


def _tenants(client: redis.Redis, prefix: str) -> Tenants:
    """A key for each tenant, made as `keys create` makes it, in the jobs' Redis."""
    api_keys = ApiKeys(lambda: client, Keys(prefix), Limits(100, 4, 5.0, 20))
    return Tenants({name: {"Authorization": f"Bearer {api_keys.create(name)}"} for name in JOBS_OF})


def _env(redis_url: str, prefix: str) -> dict[str, str]:
    """Two job slots, short leases and scans: recovery within seconds."""
    return {
        "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": prefix,
        "TEST_COUNTER_REDIS_URL": SHARED_REDIS_URL,
        "AUTH_MODE": "api_key",
        "JOB_WORKERS": "2",
        "JOB_LEASE_SECONDS": str(LEASE_S),
        "RECOVERY_SCAN_SECONDS": "0.5",
        "REDIS_SOCKET_TIMEOUT": "2",  # more than the dispatcher's 1 s wait for work
        "REDIS_CONNECT_TIMEOUT": "1",
    }


@pytest.fixture
def redis_server(start_redis_server: Callable[..., RedisServer]) -> RedisServer:
    return start_redis_server(appendonly=True)


@pytest.fixture
def sentinel_set(tmp_path: Path) -> Iterator[SentinelSet]:
    started = SentinelSet(tmp_path / "sentinel-set")
    (tmp_path / "sentinel-set").mkdir()
    try:
        yield started.start()
    finally:
        started.stop()


def _wait_complete(
    jobs_redis: redis.Redis, prefix: str, tenants: Tenants, server: GunicornServer
) -> None:
    """Wait (bounded) until every job is complete; fail showing the statuses and the log."""
    run_ids = tenants.run_ids
    wait_until(
        lambda: statuses(jobs_redis, prefix, run_ids) == ["complete"] * len(run_ids),
        30,
        interval_s=0.2,
        message=lambda: (
            f"statuses {statuses(jobs_redis, prefix, run_ids)}\n{server.log_text()[-2000:]}"
        ),
    )


def _assert_owned(base: str, tenants: Tenants) -> dict[str, dict[str, object]]:
    """Each job's status and result answer its own tenant (200) and no other (404); returns
    the status documents."""
    documents = {}
    for owner, run_ids in tenants.jobs.items():
        for run_id in run_ids:
            for name in JOBS_OF:
                expected = 200 if name == owner else 404
                for path in (f"/optimize/{run_id}", f"/optimize/{run_id}/result"):
                    answer = requests.get(base + path, headers=tenants.auth[name], timeout=10)
                    assert answer.status_code == expected, f"{name} reading {owner}'s {path}"
                    if path == f"/optimize/{run_id}" and name == owner:
                        documents[run_id] = answer.json()
    return documents


def _assert_ran_once(
    counters: redis.Redis, prefix: str, tenants: Tenants, cut_short: Collection[str]
) -> None:
    """Every job's function returned once; only the attempts the fault cut short started
    again."""
    run_ids = tenants.run_ids
    assert counts(counters, prefix, "finishes", run_ids) == [1] * len(run_ids)
    expected_starts = [2 if run_id in cut_short else 1 for run_id in run_ids]
    assert counts(counters, prefix, "starts", run_ids) == expected_starts


def _assert_turns_kept(documents: dict[str, dict[str, object]], tenants: Tenants) -> None:
    """No job of bob or carol started after alice's last two: none waited behind her backlog
    (as it would if a fault had taken it off its tenant's queue or turns)."""
    backlog_starts = sorted(str(documents[r]["started_at"]) for r in tenants.jobs[BACKLOG])
    others = {
        r: str(documents[r]["started_at"]) for n in JOBS_OF if n != BACKLOG for r in tenants.jobs[n]
    }
    late = {run_id: at for run_id, at in others.items() if at >= backlog_starts[-2]}
    assert not late, f"started after {BACKLOG}'s backlog: {late}; hers: {backlog_starts}"


def _stale_turns(client: redis.Redis, prefix: str) -> dict[str, float]:
    """Tenants on the turns with nothing queued whose turn the clock has reached: the next
    claim drops them (a tenant the clock has not reached keeps its place by design)."""
    keys = Keys(prefix)
    clock = float(client.get(keys.turns_clock) or 0)
    turns = {
        name.decode(): turn for name, turn in client.zrange(keys.turns, 0, -1, withscores=True)
    }
    return {
        name: turn
        for name, turn in turns.items()
        if name not in JOBS_OF or (turn <= clock and client.zcard(keys.tenant_queue(name)) == 0)
    }


def _assert_nothing_left(client: redis.Redis, prefix: str) -> None:
    """No job queued or leased, no tenant queue, and (after the next idle claim) no stale turn."""
    keys = Keys(prefix)
    queues = [keys.pending, keys.leases, *(keys.tenant_queue(n) for n in [*JOBS_OF, None])]
    assert {queue: client.zcard(queue) for queue in queues} == dict.fromkeys(queues, 0)
    wait_until(
        lambda: not _stale_turns(client, prefix),
        5,  # an idle dispatcher claims once a second
        interval_s=0.2,
        message=lambda: f"stale turns {_stale_turns(client, prefix)}",
    )


def _assert_outcome(
    base: str,
    tenants: Tenants,
    jobs_redis: redis.Redis,
    counters: redis.Redis,
    prefix: str,
    cut_short: Collection[str] = (),
) -> None:
    """Every check of the module's docstring, once every job is complete."""
    documents = _assert_owned(base, tenants)
    _assert_ran_once(counters, prefix, tenants, cut_short)
    _assert_turns_kept(documents, tenants)
    _assert_nothing_left(jobs_redis, prefix)


def test_kill_9_of_a_worker_requeues_its_job_in_its_tenants_turn(
    start_gunicorn: Callable[..., GunicornServer],
    redis_server: RedisServer,
    real_redis: redis.Redis,
    settings: Settings,
    fault_report: FaultReport,
) -> None:
    """Two workers with a job slot each; carol's job, then bob's and alice's are submitted, and
    the worker running carol's job is killed with kill -9. Her job is recovered into her turn
    (not behind alice's backlog) and every job completes once."""
    prefix = settings.redis_key_prefix
    client = redis_server.client()
    tenants = _tenants(client, prefix)
    server = start_gunicorn({**_env(redis_server.url, prefix), "JOB_WORKERS": "1"}, workers=2)
    tenants.submit_all(server.url, ["carol", "bob", BACKLOG], "sleep:1")
    fault_report.watch(client, real_redis, prefix, tenants.run_ids)
    (carols,) = tenants.jobs["carol"]
    wait_until(lambda: sum(counts(real_redis, prefix, "starts", tenants.run_ids)) == 2, 10)

    # The pid is written just after the start is counted.
    worker_pid = int(wait_until(lambda: real_redis.get(f"{prefix}:test:pid:{carols}"), 5))
    assert server.process is not None and worker_pid in child_pids(server.process.pid)
    os.kill(worker_pid, signal.SIGKILL)

    _wait_complete(client, prefix, tenants, server)
    _assert_outcome(server.url, tenants, client, real_redis, prefix, cut_short={carols})


def test_a_redis_restart_mid_jobs_keeps_every_tenants_jobs_and_turns(
    start_gunicorn: Callable[..., GunicornServer],
    redis_server: RedisServer,
    real_redis: redis.Redis,
    settings: Settings,
    fault_report: FaultReport,
) -> None:
    """alice's backlog, then bob's and carol's jobs; Redis is stopped for longer than a lease
    with two of alice's jobs running, then started again (AOF): every job completes, each
    started once, and bob's and carol's still go before the rest of alice's."""
    prefix = settings.redis_key_prefix
    tenants = _tenants(redis_server.client(), prefix)
    server = start_gunicorn(_env(redis_server.url, prefix))
    tenants.submit_all(server.url, [BACKLOG, "bob", "carol"], "sleep:1")
    fault_report.watch(redis_server.client(), real_redis, prefix, tenants.run_ids)
    wait_until(lambda: sum(counts(real_redis, prefix, "starts", tenants.run_ids)) == 2, 10)

    redis_server.stop()
    time.sleep(LEASE_S + 0.5)
    redis_server.start()

    _wait_complete(redis_server.client(), prefix, tenants, server)
    _assert_outcome(server.url, tenants, redis_server.client(), real_redis, prefix)


def test_a_sentinel_failover_mid_jobs_keeps_every_tenants_jobs_and_turns(
    sentinel_set: SentinelSet,
    start_gunicorn: Callable[..., GunicornServer],
    real_redis: redis.Redis,
    settings: Settings,
    fault_report: FaultReport,
) -> None:
    """As the restart above, but the primary is killed (kill -9) once the replica holds every
    write, and Sentinel promotes the replica: the same outcome on the new primary."""
    prefix = settings.redis_key_prefix
    primary = sentinel_set.server_on(sentinel_set.primary_port()).client()
    tenants = _tenants(primary, prefix)
    server = start_gunicorn(_env(sentinel_set.url, prefix))
    tenants.submit_all(server.url, [BACKLOG, "bob", "carol"], "sleep:1")
    wait_until(lambda: sum(counts(real_redis, prefix, "starts", tenants.run_ids)) == 2, 10)

    primary.set(f"{prefix}:test:synced", 1)  # WAIT covers every write made before this one
    assert primary.wait(1, 2000) == 1, "the replica is behind"
    old_port = sentinel_set.kill_primary()
    wait_until(lambda: sentinel_set.primary_port() != old_port, 20, interval_s=0.2)
    new_primary = sentinel_set.server_on(sentinel_set.primary_port()).client()
    fault_report.watch(new_primary, real_redis, prefix, tenants.run_ids)

    _wait_complete(new_primary, prefix, tenants, server)
    _assert_outcome(server.url, tenants, new_primary, real_redis, prefix)


def test_a_drain_hands_back_jobs_to_their_tenant_queues(
    start_gunicorn: Callable[..., GunicornServer],
    redis_server: RedisServer,
    real_redis: redis.Redis,
    settings: Settings,
    fault_report: FaultReport,
) -> None:
    """SIGTERM with two jobs running (carol's and one more) and the rest queued, a 0.5 s drain:
    once the instance has exited every job is pending on its tenant's queue and every tenant
    is on the turns; a second instance then runs them all, carol's in her turn."""
    prefix = settings.redis_key_prefix
    client = redis_server.client()
    tenants = _tenants(client, prefix)
    env = _env(redis_server.url, prefix)
    # A long lease: only the hand-back can free the running jobs in time.
    draining = start_gunicorn({**env, "JOB_LEASE_SECONDS": "10", "DRAIN_TIMEOUT_SECONDS": "0.5"})
    tenants.submit_all(draining.url, ["carol", "bob", BACKLOG], "sleep:1.5")
    fault_report.watch(client, real_redis, prefix, tenants.run_ids)
    wait_until(lambda: sum(counts(real_redis, prefix, "starts", tenants.run_ids)) == 2, 10)
    running = {
        r
        for r, s in zip(tenants.run_ids, statuses(client, prefix, tenants.run_ids), strict=True)
        if s == "running"
    }

    draining.terminate()
    draining.wait_exit(timeout_s=10)

    keys = Keys(prefix)
    assert statuses(client, prefix, tenants.run_ids) == ["pending"] * len(tenants.run_ids)
    assert len(running) == 2 and tenants.jobs["carol"][0] in running
    for name, run_ids in tenants.jobs.items():
        assert set(client.zrange(keys.tenant_queue(name), 0, -1)) == {r.encode() for r in run_ids}
        assert client.zscore(keys.turns, name) is not None, f"{name} lost its turn"
    assert client.zcard(keys.pending) == len(tenants.run_ids) and client.zcard(keys.leases) == 0
    assert [client.hget(keys.job(r), "handbacks") for r in running] == [b"1", b"1"]
    other = start_gunicorn(env)
    _wait_complete(client, prefix, tenants, other)
    _assert_outcome(other.url, tenants, client, real_redis, prefix, cut_short=running)
