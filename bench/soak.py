"""Load and soak: mixed traffic against two instances sharing one Redis, with faults injected.

Usage: .venv/bin/python bench/soak.py [--minutes 5] [--clients 8]

Two gunicorn instances (2 workers each, scripted jobs of 50-500 ms) share a private redis-server
with AOF. Clients send submits, status polls, result reads and probes round-robin to the two
instances, failing over to the other one when a connection is refused, as a load balancer
would. A third of the way in, instance A is killed -9 (master and workers) and restarted; two
thirds in, instance B gets SIGTERM (drain) and is restarted. At the end every accepted job must
be complete. Prints requests, errors by kind, p50/p99 per endpoint, jobs accepted vs completed
and Redis memory. Loopback only; every loop is bounded by the duration.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import contextlib

from tests.support.gunicorn_server import GunicornServer
from tests.support.redis_server import RedisServer
from tests.support.waiting import wait_until

PLAYERS = [
    {"id": f"p{i}", "name": f"Player {i}", "positions": ["QB"], "salary": 5000,
     "team": "AAA", "opponent": "BBB", "projection": 10.0}
    for i in range(2)
]  # fmt: skip
PREFIX = "soak"


class Traffic:
    """Shared state of the client threads."""

    def __init__(self, instances: list[GunicornServer]) -> None:
        self.instances = instances
        self.lock = threading.Lock()
        self.accepted: list[str] = []
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: Counter = Counter()
        self.requests = 0
        self.failovers = 0

    def call(
        self, endpoint: str, method: str, path: str, **kwargs: object
    ) -> requests.Response | None:
        order = random.sample(self.instances, len(self.instances))
        for attempt, server in enumerate(order):
            started = time.perf_counter()
            try:
                response = requests.request(method, server.url + path, timeout=10, **kwargs)
            except requests.ConnectionError:
                with self.lock:
                    self.failovers += attempt == 0
                continue
            except requests.RequestException as error:
                with self.lock:
                    self.errors[f"{endpoint} {type(error).__name__}"] += 1
                return None
            with self.lock:
                self.requests += 1
                self.latency[endpoint].append((time.perf_counter() - started) * 1000)
                if response.status_code >= 500:
                    self.errors[f"{endpoint} {response.status_code}"] += 1
            return response
        with self.lock:
            self.errors[f"{endpoint} no instance reachable"] += 1
        return None


def client_loop(traffic: Traffic, deadline: float, seed: int) -> None:
    rng = random.Random(seed)
    while time.monotonic() < deadline:
        roll = rng.random()
        known = traffic.accepted[-200:]
        if roll < 0.25 or not known:
            body = {"slate_id": f"sleep:{rng.uniform(0.05, 0.5):.2f}", "players": PLAYERS}
            response = traffic.call("POST /optimize", "POST", "/optimize", json=body)
            if response is not None and response.status_code == 202:
                with traffic.lock:
                    traffic.accepted.append(response.json()["run_id"])
        elif roll < 0.65:
            traffic.call("GET status", "GET", f"/optimize/{rng.choice(known)}")
        elif roll < 0.85:
            traffic.call("GET result", "GET", f"/optimize/{rng.choice(known)}/result")
        elif roll < 0.95:
            traffic.call("GET /ready", "GET", "/ready")
        else:
            traffic.call("GET /health", "GET", "/health")
        time.sleep(rng.uniform(0, 0.01))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    duration = args.minutes * 60
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "redis").mkdir()
        redis_server = RedisServer(workdir / "redis", appendonly=True).start()
        env = {"REDIS_URL": redis_server.url, "REDIS_KEY_PREFIX": PREFIX, "JOB_WORKERS": "4",
               "JOB_LEASE_SECONDS": "10", "RECOVERY_SCAN_SECONDS": "2", "DRAIN_TIMEOUT_SECONDS": "20"}  # fmt: skip
        a = GunicornServer(workdir, env, workers=2, name="a").start()
        b = GunicornServer(workdir, env, workers=2, name="b").start()
        traffic = Traffic([a, b])
        deadline = time.monotonic() + duration
        threads = [
            threading.Thread(target=client_loop, args=(traffic, deadline, seed))
            for seed in range(args.clients)
        ]
        for thread in threads:
            thread.start()
        events = []
        try:
            time.sleep(duration / 3)
            a.kill_all()
            events.append(f"{time.strftime('%X')} instance A killed -9")
            a.start()
            events.append(f"{time.strftime('%X')} instance A restarted")
            time.sleep(max(0.0, duration / 3 - 5))
            b.terminate()
            b.wait_exit(60)
            events.append(f"{time.strftime('%X')} instance B drained (SIGTERM) and exited")
            b.start()
            events.append(f"{time.strftime('%X')} instance B restarted")
            for thread in threads:
                thread.join(duration + 30)
            client = redis_server.client()

            def statuses() -> Counter:
                with client.pipeline() as pipe:
                    for run_id in traffic.accepted:
                        pipe.hget(f"{PREFIX}:job:{run_id}", "status")
                    return Counter((s or b"missing").decode() for s in pipe.execute())

            with contextlib.suppress(AssertionError):
                wait_until(lambda: set(statuses()) <= {"complete", "failed"}, 180, 0.5)
            final = statuses()
            memory = client.info("memory")["used_memory_human"]
        finally:
            a.stop()
            b.stop()
            redis_server.kill()
    print(f"\n== soak: {args.minutes:g} min, {args.clients} clients, 2 instances x 2 workers ==")
    for event in events:
        print("  " + event)
    print(
        f"requests answered: {traffic.requests}  (first-choice instance refused, failed over: {traffic.failovers})"
    )
    print("errors by kind:", dict(traffic.errors) or "none")
    for endpoint, values in sorted(traffic.latency.items()):
        ordered = sorted(values)
        p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
        print(
            f"  {endpoint:16} n={len(values):6}  p50 {statistics.median(values):7.2f} ms  p99 {p99:8.2f} ms"
        )
    print(f"jobs accepted: {len(traffic.accepted)}  final states: {dict(final)}")
    print(f"Redis used_memory at the end: {memory}")


if __name__ == "__main__":
    main()
