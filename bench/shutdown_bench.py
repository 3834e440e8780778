"""Shutdown and recovery figures, measured on real gunicorn and a private redis-server.

Usage: .venv/bin/python bench/shutdown_bench.py [--rounds 3]

Reports, each over several rounds:
- idle shutdown: SIGTERM to exit of an idle server (2 workers);
- drain deadline accuracy: SIGTERM with a job longer than a 2 s drain, to master exit, against
  the configured deadline;
- recovery after kill -9 of the whole tree with 10 jobs mid-run: restart to all complete, with
  test settings (lease 1.5 s, scan 0.5 s) and with the defaults (lease 30 s, scan 10 s).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.gunicorn_server import GunicornServer
from tests.support.redis_server import RedisServer
from tests.support.waiting import wait_until

PLAYERS = [
    {
        "id": f"p{i}",
        "name": "x",
        "positions": ["QB"],
        "salary": 5000,
        "team": "A",
        "opponent": "B",
        "projection": 1.0,
    }
    for i in range(2)
]


def _post(base: str, slate_id: str) -> str:
    body = {"slate_id": slate_id, "players": PLAYERS}
    return requests.post(f"{base}/optimize", json=body, timeout=10).json()["run_id"]


def _statuses(redis_server: RedisServer, prefix: str, run_ids: list[str]) -> list[bytes]:
    client = redis_server.client()
    try:
        return [client.hget(f"{prefix}:job:{r}", "status") for r in run_ids]
    finally:
        client.close()


def idle_shutdown(workdir: Path, env: dict) -> float:
    server = GunicornServer(workdir, env, workers=2, name=f"idle{time.monotonic_ns()}").start()
    try:
        started = time.monotonic()
        server.terminate()
        server.wait_exit(30)
        return time.monotonic() - started
    finally:
        server.stop()


def drain_deadline(workdir: Path, env: dict, redis_server: RedisServer, drain_s: float) -> float:
    # A fresh prefix: earlier rounds leave their handed-back job in the queue.
    env = {**env, "REDIS_KEY_PREFIX": f"drain{time.monotonic_ns()}"}
    run_env = {**env, "DRAIN_TIMEOUT_SECONDS": str(drain_s)}
    server = GunicornServer(workdir, run_env, name=f"drain{time.monotonic_ns()}").start()
    try:
        run_id = _post(server.url, "sleep:30")
        wait_until(
            lambda: _statuses(redis_server, env["REDIS_KEY_PREFIX"], [run_id]) == [b"running"],
            10,
        )
        started = time.monotonic()
        server.terminate()
        server.wait_exit(60)
        return time.monotonic() - started
    finally:
        server.stop()


def recovery(workdir: Path, env: dict, redis_server: RedisServer) -> float:
    prefix = f"recovery{time.monotonic_ns()}"
    env = {**env, "REDIS_KEY_PREFIX": prefix}
    first = GunicornServer(
        workdir, {**env, "JOB_WORKERS": "5"}, workers=2, name=f"a{time.monotonic_ns()}"
    ).start()
    run_ids = [_post(first.url, "sleep:1") for _ in range(10)]
    wait_until(lambda: _statuses(redis_server, prefix, run_ids).count(b"running") == 10, 20)
    first.kill_all()
    started = time.monotonic()
    second = GunicornServer(
        workdir, {**env, "JOB_WORKERS": "5"}, workers=2, name=f"b{time.monotonic_ns()}"
    )
    try:
        second.start()
        wait_until(
            lambda: set(_statuses(redis_server, prefix, run_ids)) == {b"complete"}, 120, 0.05
        )
        return time.monotonic() - started
    finally:
        second.stop()


def summary(values: list[float]) -> str:
    low, high, mid = min(values), max(values), statistics.median(values)
    return f"median {mid:.2f} s (min {low:.2f}, max {high:.2f}, n={len(values)})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-default-recovery", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "redis").mkdir()
        redis_server = RedisServer(workdir / "redis").start()
        base = {
            "REDIS_URL": redis_server.url,
            "REDIS_KEY_PREFIX": "shutdown",
            "TEST_COUNTER_REDIS_URL": "",
        }
        fast = {**base, "JOB_LEASE_SECONDS": "1.5", "RECOVERY_SCAN_SECONDS": "0.5"}
        try:
            idle = [idle_shutdown(workdir, base) for _ in range(args.rounds)]
            print(f"idle shutdown (SIGTERM -> exit, 2 workers): {summary(idle)}")
            drains = [drain_deadline(workdir, base, redis_server, 2.0) for _ in range(args.rounds)]
            print(
                f"drain with a 2.0 s deadline and a 30 s job (SIGTERM -> exit): {summary(drains)}"
            )
            fast_recovery = [recovery(workdir, fast, redis_server) for _ in range(args.rounds)]
            print(
                "kill -9 recovery, lease 1.5 s / scan 0.5 s (restart -> 10 jobs complete): "
                + summary(fast_recovery)
            )
            if not args.skip_default_recovery:
                slow = recovery(workdir, base, redis_server)
                print(
                    f"kill -9 recovery, defaults lease 30 s / scan 10 s: {slow:.2f} s (one round)"
                )
        finally:
            redis_server.kill()


if __name__ == "__main__":
    main()
