"""`python -m bench http|shutdown|soak`: bench.work's service alone on real gunicorn and
redis-server (jobs named "noop" return at once, "sleep:<s>" sleep, honouring cancellation).
"""

from __future__ import annotations

import contextlib
import random
import shutil
import statistics
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import requests

from bench.harness import GunicornServer, RedisServer, wait_until
from bench.load import closed_loop, request_cycle, wrk_post_script, wrk_run
from bench.work import noop_body

APP = "bench.work:create_service_app()"


def submit(url: str, slate_id: str) -> requests.Response:
    return requests.post(f"{url}/optimize", json={**noop_body(), "slate_id": slate_id}, timeout=10)


def statuses(url: str, run_ids: list[str]) -> list[str]:
    return [requests.get(f"{url}/optimize/{r}", timeout=10).json()["status"] for r in run_ids]


def service(workdir: Path, env: dict, name: str) -> GunicornServer:
    """The service on 2 workers, on its own key prefix unless `env` names one."""
    name = f"{name}{time.monotonic_ns()}"
    return GunicornServer(workdir, {"REDIS_KEY_PREFIX": name, **env}, app=APP, workers=2, name=name)  # fmt: skip


def sigterm_to_exit(instance: GunicornServer) -> float:
    started = time.monotonic()
    instance.terminate()
    instance.wait_exit(120)
    return time.monotonic() - started


def http(args: Any, workdir: Path) -> None:
    """req/s, p50 and p99 of POST /optimize, GET /health and GET /optimize/<id>."""
    redis_server = RedisServer(workdir, appendonly=False).start()
    server = GunicornServer(workdir, {"REDIS_URL": redis_server.url}, app=APP, workers=2)
    use_wrk = shutil.which("wrk") and not args.python_client
    try:
        server.start(timeout_s=60)
        run_id = submit(server.url, "noop").json()["run_id"]
        print(f"service, 2 gunicorn workers x 8 threads, {args.connections} connections, {args.seconds:g} s each, "
              f"{'wrk' if use_wrk else 'python clients'}")  # fmt: skip
        for method, path in (
            ("POST", "/optimize"),
            ("GET", "/health"),
            ("GET", f"/optimize/{run_id}"),
        ):
            body = noop_body() if method == "POST" else None
            if use_wrk:
                script = body and wrk_post_script(body, workdir / "post.lua")
                figures = wrk_run(server.url + path, args.seconds, args.connections, script)
            else:
                result = closed_loop(server.url, request_cycle(method, path, body), clients=args.connections, seconds=args.seconds)  # fmt: skip
                figures = {"rps": result.rate, "p50_ms": result.ms(f"{method} {path}", 50),
                           "p99_ms": result.ms(f"{method} {path}", 99), "errors": dict(result.errors)}  # fmt: skip
            nan, shown = float("nan"), path.replace(run_id, "<id>")
            print(f"  {method} {shown:18} {figures.get('rps', 0):8.0f} req/s  p50 {figures.get('p50_ms', nan):6.2f} ms  "
                  f"p99 {figures.get('p99_ms', nan):6.2f} ms  {figures.get('errors') or ''}")  # fmt: skip
    finally:
        server.stop()
        redis_server.kill()


def shutdown(args: Any, workdir: Path) -> None:
    """SIGTERM to exit of a 2-worker server, idle or running a 30 s job (drain deadline 2 s)."""
    redis_server = RedisServer(workdir).start()
    env = {"REDIS_URL": redis_server.url, "DRAIN_TIMEOUT_SECONDS": "2"}
    try:
        for label, job in (("idle shutdown, SIGTERM to exit, 2 workers", None),
                           ("drain deadline 2 s, a 30 s job running: SIGTERM to exit", "sleep:30")):  # fmt: skip
            values = []
            for _ in range(args.rounds):
                instance = service(workdir, env, "shutdown").start()
                try:
                    if job:
                        run_id = submit(instance.url, job).json()["run_id"]
                        wait_until(
                            lambda i=instance, r=run_id: statuses(i.url, [r]) == ["running"], 20
                        )
                    values.append(sigterm_to_exit(instance))
                finally:
                    instance.stop()
            print(f"{label}: median {statistics.median(values):.2f} s ({min(values):.2f}-{max(values):.2f}, n={len(values)})")  # fmt: skip
    finally:
        redis_server.kill()


def soak(args: Any, workdir: Path) -> None:
    """Submits (jobs of 0.05-0.5 s) and status reads on two instances sharing a Redis with AOF;
    A is killed -9 and restarted a third of the way in, B drained (SIGTERM) and restarted at two
    thirds; clients fail over on a refused connection, as a load balancer would. Every accepted
    job must end complete."""
    redis_server = RedisServer(workdir).start()
    env = {"REDIS_URL": redis_server.url, "REDIS_KEY_PREFIX": "soak", "JOB_WORKERS": "4",
           "JOB_LEASE_SECONDS": "1.5", "RECOVERY_SCAN_SECONDS": "0.5"}  # fmt: skip
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
