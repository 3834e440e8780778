"""Operations timings on real gunicorn and redis-server: shutdown, drain, recovery, a short soak.

The service app is bench.work's (jobs named "sleep:<s>" sleep, honouring cancellation).
"""

from __future__ import annotations

import random
import statistics
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import requests

from bench.harness import GunicornServer, RedisServer, wait_until
from bench.work import noop_body

APP = "bench.work:create_service_app()"
FAST_RECOVERY = {"JOB_LEASE_SECONDS": "1.5", "RECOVERY_SCAN_SECONDS": "0.5"}


def submit(url: str, slate_id: str) -> str:
    body = {**noop_body(), "slate_id": slate_id}
    return requests.post(f"{url}/optimize", json=body, timeout=10).json()["run_id"]


def statuses(url: str, run_ids: list[str]) -> list[str]:
    return [requests.get(f"{url}/optimize/{r}", timeout=10).json()["status"] for r in run_ids]


def server(workdir: Path, env: dict, name: str, **extra: str) -> GunicornServer:
    name = f"{name}{time.monotonic_ns()}"
    return GunicornServer(
        workdir, {**env, "REDIS_KEY_PREFIX": name, **extra}, app=APP, workers=2, name=name
    )


def sigterm_to_exit(instance: GunicornServer) -> float:
    started = time.monotonic()
    instance.terminate()
    instance.wait_exit(120)
    return time.monotonic() - started


def idle_shutdown(workdir: Path, env: dict) -> float:
    instance = server(workdir, env, "idle").start()
    try:
        return sigterm_to_exit(instance)
    finally:
        instance.stop()


def drain_past_deadline(workdir: Path, env: dict) -> float:
    """SIGTERM with a 30 s job running and a 2 s drain deadline: the job is handed back."""
    instance = server(workdir, env, "drain", DRAIN_TIMEOUT_SECONDS="2").start()
    try:
        run_id = submit(instance.url, "sleep:30")
        wait_until(lambda: statuses(instance.url, [run_id]) == ["running"], 20)
        return sigterm_to_exit(instance)
    finally:
        instance.stop()


def recovery(workdir: Path, env: dict) -> float:
    """kill -9 of the whole tree with 10 one-second jobs running; restart to all complete."""
    first = server(workdir, env, "recovery", JOB_WORKERS="5", **FAST_RECOVERY).start()
    run_ids = [submit(first.url, "sleep:1") for _ in range(10)]
    wait_until(lambda: statuses(first.url, run_ids).count("running") == 10, 20)
    first.kill_all()
    started = time.monotonic()
    second = GunicornServer(workdir, first.env, app=APP, workers=2, name=f"{first.log_path.stem}b")
    try:
        second.start()
        wait_until(lambda: set(statuses(second.url, run_ids)) == {"complete"}, 120, 0.05)
        return time.monotonic() - started
    finally:
        second.stop()


def shutdown(args: Any, workdir: Path) -> None:
    redis_server = RedisServer(workdir).start()
    env = {"REDIS_URL": redis_server.url}
    try:
        for label, measure in (("idle shutdown, SIGTERM to exit, 2 workers", idle_shutdown),
                               ("drain deadline 2 s, a 30 s job running: SIGTERM to exit", drain_past_deadline),
                               ("kill -9 with 10 jobs running, lease 1.5 s: restart to all complete", recovery)):  # fmt: skip
            values = [measure(workdir, env) for _ in range(args.rounds)]
            print(
                f"{label}: median {statistics.median(values):.2f} s ({min(values):.2f}-{max(values):.2f}, n={len(values)})"
            )
    finally:
        redis_server.kill()


def soak(args: Any, workdir: Path) -> None:
    """Mixed traffic on two instances sharing a Redis with AOF; A killed -9 and restarted at a
    third of the time, B drained (SIGTERM) and restarted at two thirds; clients fail over on a
    refused connection, as a load balancer would. Every accepted job must end complete."""
    redis_server = RedisServer(workdir).start()
    env = {
        "REDIS_URL": redis_server.url,
        "REDIS_KEY_PREFIX": "soak",
        "JOB_WORKERS": "4",
        **FAST_RECOVERY,
    }
    instances = [GunicornServer(workdir, env, app=APP, workers=2, name=n).start() for n in "ab"]
    accepted, seen, lock = [], Counter(), threading.Lock()
    deadline = time.monotonic() + 60 * args.minutes

    def client(seed: int) -> None:
        rng = random.Random(seed)
        while time.monotonic() < deadline:
            known = accepted[-100:]
            for instance in rng.sample(instances, 2):
                try:
                    if rng.random() < 0.3 or not known:
                        response = requests.post(f"{instance.url}/optimize", timeout=10,
                                                 json={**noop_body(), "slate_id": f"sleep:{rng.uniform(0.05, 0.5):.2f}"})  # fmt: skip
                        if response.status_code == 202:
                            with lock:
                                accepted.append(response.json()["run_id"])
                    else:
                        response = requests.get(
                            f"{instance.url}/optimize/{rng.choice(known)}", timeout=10
                        )
                    with lock:
                        seen[f"HTTP {response.status_code}"] += 1
                    break
                except requests.ConnectionError:
                    with lock:
                        seen["refused, failed over"] += 1
            time.sleep(rng.uniform(0, 0.02))

    threads = [threading.Thread(target=client, args=(seed,)) for seed in range(args.clients)]
    try:
        for thread in threads:
            thread.start()
        time.sleep(20 * args.minutes)
        instances[0].kill_all()
        instances[0].start()
        time.sleep(max(0.0, deadline - 20 * args.minutes - time.monotonic()))
        print(f"drain of instance B: {sigterm_to_exit(instances[1]):.2f} s")
        instances[1].start()
        for thread in threads:
            thread.join(timeout=60 * args.minutes + 30)
        final = Counter(statuses(instances[0].url, accepted))
        if set(final) - {"complete"}:
            wait_until(lambda: set(statuses(instances[0].url, accepted)) == {"complete"}, 120, 1)
            final = Counter(statuses(instances[0].url, accepted))
    finally:
        for instance in instances:
            instance.stop()
        redis_server.kill()
    print(f"soak {args.minutes:g} min, {args.clients} clients: answers {dict(seen)}")
    print(f"jobs accepted {len(accepted)}, final states {dict(final)}")
