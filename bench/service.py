"""`python -m bench http|shutdown|soak`: bench.work's service alone on real gunicorn and
redis-server (jobs named "noop" return at once, "sleep:<s>" sleep, honouring cancellation).
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from bench.harness import GunicornServer, RedisServer, wait_until
from bench.load import closed_loop, request_cycle, wrk_post_script, wrk_run
from bench.work import noop_body
from webapp.jobs.keys import Keys
from webapp.jobs.limits import Limits
from webapp.tenants.api_keys import ApiKeys

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


# AUTH_MODEs `http` can run side by side, and the tenant it makes a key for under api_key.
AUTH_MODES = ("none", "api_key")
BENCH_TENANT = "bench"
# How long (s) a server may take to run the no-op jobs a POST window queued.
QUEUE_DRAIN_S = 120.0


@dataclass(frozen=True)
class Served:
    """One server of `http`: its AUTH_MODE, key names, the headers its requests carry (a
    Bearer key under api_key) and a job of its tenant to read."""

    mode: str
    server: GunicornServer
    keys: Keys
    headers: dict[str, str]
    run_id: str


def auth_modes(text: str) -> list[str]:
    """The --auth-modes list, in order; ValueError unless it names distinct AUTH_MODES."""
    modes = [mode.strip() for mode in text.split(",") if mode.strip()]
    if not modes or len(set(modes)) != len(modes) or set(modes) - set(AUTH_MODES):
        raise ValueError(
            f"--auth-modes takes distinct names of {', '.join(AUTH_MODES)}, got {text!r}"
        )
    return modes


def _serve(workdir: Path, redis_server: RedisServer, mode: str) -> Served:
    """A 2-worker server with this AUTH_MODE on its own key prefix, started, with one job;
    under api_key its requests carry a key made for it, with limits no benchmark reaches."""
    keys = Keys(f"bench-{mode.replace('_', '-')}")
    env = {"REDIS_URL": redis_server.url, "REDIS_KEY_PREFIX": keys.prefix, "AUTH_MODE": mode}
    headers = {}
    if mode == "api_key":
        with redis_server.client() as client:
            api_keys = ApiKeys(lambda: client, keys, Limits(1, 1, 1.0, 1))
            key = api_keys.create(BENCH_TENANT, max_pending=10**9, max_running=10**6, rate_per_s=1e9)  # fmt: skip
        headers = {"Authorization": f"Bearer {key}"}
    server = GunicornServer(workdir, env, app=APP, workers=2, name=f"http-{mode}")
    try:
        server.start(60)
        answer = requests.post(f"{server.url}/optimize", json=noop_body(), headers=headers, timeout=10)  # fmt: skip
        answer.raise_for_status()
    except BaseException:
        server.stop()
        raise
    return Served(mode, server, keys, headers, answer.json()["run_id"])


def _measure(served: Served, method: str, path: str, args: Any, workdir: Path) -> dict:
    """req/s, p50_ms, p99_ms and errors of one window of `method path` on one server."""
    body = noop_body() if method == "POST" else None
    if shutil.which("wrk") and not args.python_client:
        script = body and wrk_post_script(body, workdir / "post.lua")
        url = served.server.url + path
        return wrk_run(url, args.seconds, args.connections, script, served.headers)
    cycle = request_cycle(method, path, body, served.headers)
    result = closed_loop(served.server.url, cycle, clients=args.connections, seconds=args.seconds)
    return {"rps": result.rate, "p50_ms": result.ms(f"{method} {path}", 50),
            "p99_ms": result.ms(f"{method} {path}", 99), "errors": dict(result.errors)}  # fmt: skip


def _wait_queue_empty(redis_server: RedisServer, keys: Keys) -> None:
    """Wait until the jobs a POST window queued have run, so they do not load the next window."""
    with redis_server.client() as client:
        left = lambda: client.zcard(keys.pending) + client.zcard(keys.leases)  # noqa: E731
        wait_until(lambda: left() == 0, QUEUE_DRAIN_S, 0.2)


def _measure_all(
    served: Served, round_no: int, args: Any, workdir: Path, redis_server: RedisServer
) -> dict:
    """Every endpoint of one server, one window each (printed); the status read's figures."""
    status: dict = {}
    for method, path in (("POST", "/optimize"), ("GET", "/health"), ("GET", f"/optimize/{served.run_id}")):  # fmt: skip
        figures = _measure(served, method, path, args, workdir)
        if method == "POST":
            _wait_queue_empty(redis_server, served.keys)
        elif path != "/health":
            status = figures
        nan, shown = float("nan"), path.replace(served.run_id, "<id>")
        print(f"  {round_no + 1} {served.mode:8} {method:4} {shown:15} {figures.get('rps', 0):8.0f} req/s  "
              f"p50 {figures.get('p50_ms', nan):6.2f} ms  p99 {figures.get('p99_ms', nan):6.2f} ms  "
              f"{figures.get('errors') or ''}")  # fmt: skip
    return status


def status_summary(figures: dict[str, list[dict]]) -> list[str]:
    """Lines comparing each mode's status reads (medians over rounds) with the first mode's."""
    nan = float("nan")
    medians = {
        mode: {what: statistics.median(f.get(what, nan) for f in runs)
               for what in ("rps", "p50_ms", "p99_ms")}
        for mode, runs in figures.items()
    }  # fmt: skip
    rounds = min(len(runs) for runs in figures.values())
    lines = [f"status read (GET /optimize/<id>), median of {rounds} round(s):"]
    for mode, m in medians.items():
        lines.append(f"  {mode:8} {m['rps']:8.0f} req/s  p50 {m['p50_ms']:6.2f} ms  p99 {m['p99_ms']:6.2f} ms")  # fmt: skip
    (base_mode, base), *others = medians.items()
    for mode, m in others:
        ratios = {what: m[what] / base[what] if base[what] else nan for what in m}
        lines.append(f"  {mode} / {base_mode}: req/s {ratios['rps']:.2f}x, "
                     f"p50 {ratios['p50_ms']:.2f}x, p99 {ratios['p99_ms']:.2f}x")  # fmt: skip
    return lines


def http(args: Any, workdir: Path) -> None:
    """req/s, p50 and p99 of POST /optimize, GET /health and GET /optimize/<id>, on one server
    per AUTH_MODE of --auth-modes (all started first, measured in turn, the order rotating each
    round); with several modes, their status reads compared with the first's."""
    modes = auth_modes(args.auth_modes)
    redis_server = RedisServer(workdir, appendonly=False).start()
    servers: list[Served] = []
    status: dict[str, list[dict]] = {mode: [] for mode in modes}
    try:
        for mode in modes:
            servers.append(_serve(workdir, redis_server, mode))
        client = "wrk" if shutil.which("wrk") and not args.python_client else "python clients"
        print(f"service, 2 gunicorn workers x 8 threads, {args.connections} connections, {args.seconds:g} s each, "
              f"{client}; AUTH_MODE {', '.join(modes)}, {args.rounds} round(s); load average {_load()} before")  # fmt: skip
        for round_no in range(args.rounds):
            shift = round_no % len(servers)
            for served in servers[shift:] + servers[:shift]:
                status[served.mode].append(_measure_all(served, round_no, args, workdir, redis_server))  # fmt: skip
        print(f"load average {_load()} after")
        if len(modes) > 1:
            print("\n".join(status_summary(status)))
    finally:
        for served in servers:
            served.server.stop()
        redis_server.kill()


def _load() -> str:
    """The machine's 1, 5 and 15 minute load averages (others may be using its cores)."""
    return "/".join(f"{value:.2f}" for value in os.getloadavg())


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
