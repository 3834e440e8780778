"""Operations timings on real gunicorn and redis-server: shutdown, drain, and a short soak that
kills one instance and drains the other.

The app is bench.work's service, whose jobs named "sleep:<s>" sleep (honouring cancellation).
"""

from __future__ import annotations

import contextlib
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


def submit(url: str, slate_id: str) -> requests.Response:
    return requests.post(f"{url}/optimize", json={**noop_body(), "slate_id": slate_id}, timeout=10)


def statuses(url: str, run_ids: list[str]) -> list[str]:
    return [requests.get(f"{url}/optimize/{r}", timeout=10).json()["status"] for r in run_ids]


def service(workdir: Path, env: dict, name: str, **extra: str) -> GunicornServer:
    return GunicornServer(
        workdir, {**env, **extra}, app=APP, workers=2, name=f"{name}{time.monotonic_ns()}"
    )


def sigterm_to_exit(instance: GunicornServer) -> float:
    started = time.monotonic()
    instance.terminate()
    instance.wait_exit(120)
    return time.monotonic() - started


def idle_shutdown(workdir: Path, env: dict) -> float:
    instance = service(workdir, env, "idle").start()
    try:
        return sigterm_to_exit(instance)
    finally:
        instance.stop()


def drain_past_deadline(workdir: Path, env: dict) -> float:
    """SIGTERM with a 30 s job running and a 2 s drain deadline: the job is handed back."""
    instance = service(workdir, env, "drain", DRAIN_TIMEOUT_SECONDS="2").start()
    try:
        run_id = submit(instance.url, "sleep:30").json()["run_id"]
        wait_until(lambda: statuses(instance.url, [run_id]) == ["running"], 20)
        return sigterm_to_exit(instance)
    finally:
        instance.stop()


def shutdown(args: Any, workdir: Path) -> None:
    redis_server = RedisServer(workdir).start()
    try:
        for label, measure in (("idle shutdown, SIGTERM to exit, 2 workers", idle_shutdown),
                               ("drain deadline 2 s, a 30 s job running: SIGTERM to exit", drain_past_deadline)):  # fmt: skip
            values = [measure(workdir, {"REDIS_URL": redis_server.url}) for _ in range(args.rounds)]
            print(
                f"{label}: median {statistics.median(values):.2f} s ({min(values):.2f}-{max(values):.2f}, n={len(values)})"
            )
    finally:
        redis_server.kill()


def soak(args: Any, workdir: Path) -> None:
    """Submits (jobs of 0.05-0.5 s) and status reads on two instances sharing a Redis with AOF;
    A is killed -9 and restarted a third of the way in, B drained (SIGTERM) and restarted at two
    thirds; clients fail over on a refused connection, as a load balancer would. Every accepted
    job must end complete."""
    redis_server = RedisServer(workdir).start()
    env = {
        "REDIS_URL": redis_server.url,
        "REDIS_KEY_PREFIX": "soak",
        "JOB_WORKERS": "4",
        **FAST_RECOVERY,
    }
    instances = [service(workdir, env, name).start() for name in "ab"]
    accepted, answers, lock, third = [], Counter(), threading.Lock(), 20 * args.minutes
    deadline = time.monotonic() + 3 * third

    def client(rng: random.Random) -> None:
        while time.monotonic() < deadline:
            for instance in rng.sample(instances, 2):  # the second one if the first refuses
                try:
                    if rng.random() < 0.3 or not accepted:
                        response = submit(instance.url, f"sleep:{rng.uniform(0.05, 0.5):.2f}")
                        accepted.extend(
                            [response.json()["run_id"]] if response.status_code == 202 else []
                        )
                    else:
                        response = requests.get(
                            f"{instance.url}/optimize/{rng.choice(accepted[-100:])}", timeout=10
                        )
                    outcome = f"HTTP {response.status_code}"
                except requests.ConnectionError:
                    outcome = "refused, failed over"
                with lock:
                    answers[outcome] += 1
                if outcome != "refused, failed over":
                    break
            time.sleep(rng.uniform(0, 0.02))

    threads = [
        threading.Thread(target=client, args=(random.Random(seed),)) for seed in range(args.clients)
    ]
    try:
        for thread in threads:
            thread.start()
        time.sleep(third)
        instances[0].kill_all()
        instances[0].start()
        time.sleep(max(0.0, deadline - third - time.monotonic()))
        print(f"drain of instance B, SIGTERM to exit: {sigterm_to_exit(instances[1]):.2f} s")
        instances[1].start()
        for thread in threads:
            thread.join(timeout=3 * third + 30)
        with contextlib.suppress(AssertionError):  # reported below
            wait_until(lambda: set(statuses(instances[0].url, accepted)) == {"complete"}, 120, 1)
        final = Counter(statuses(instances[0].url, accepted))
    finally:
        for instance in instances:
            instance.stop()
        redis_server.kill()
    print(f"soak {args.minutes:g} min, {args.clients} clients: answers {dict(answers)}")
    print(f"jobs accepted {len(accepted)}, final states {dict(final)}")
