"""`python -m bench jobs`: the same job API served by this service, Flask + Celery and Flask + RQ,
each on its own redis-server behind the same gunicorn front with the same job slots, in rounds
that rotate the order of the systems (the setup is described in docs/performance.md).
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import harness
from bench.harness import GunicornServer, RedisServer
from bench.load import Client, LoadResult, Samples, closed_loop
from bench.work import noop_body, optimize_body

JOB_TIMEOUT_S = 300.0
POLL_FIRST_S, POLL_MAX_S = 0.001, 0.05
LINEUPS = {"noop": 0, "optimize": 20}


@dataclass
class System:
    """One way of serving the API: its processes and what its runs measured, by job kind."""

    name: str
    redis: RedisServer
    web: GunicornServer | None = None
    workers: list = field(default_factory=list)
    runs: dict[str, LoadResult] = field(default_factory=dict)

    def stop(self) -> None:
        for process in self.workers:
            harness.stop_group(process)
        if self.web:
            self.web.stop()
        self.redis.kill()


def start_system(name: str, workdir: Path, args: Any) -> System:
    """Redis, gunicorn and the job workers of one system; returns once it has run a job."""
    (directory := workdir / name).mkdir(parents=True)
    system = System(name, RedisServer(directory, appendonly=False).start())
    url, bin_dir = system.redis.url, Path(sys.executable).parent
    if name == "service":
        env = {"REDIS_URL": url, "JOB_WORKERS": str(max(1, args.slots // args.web_workers)),
               "GUNICORN_THREADS": str(args.threads), **dict(pair.split("=", 1) for pair in args.service_env)}  # fmt: skip
        system.web = GunicornServer(directory, env, app="bench.work:create_service_app()", workers=args.web_workers)  # fmt: skip
    else:
        flags = ("--workers", str(args.web_workers), "--threads", str(args.threads), "--worker-class", "gthread", "--keep-alive", "75")  # fmt: skip
        system.web = GunicornServer(directory, {"BENCH_REDIS_URL": url}, app=f"bench.work:create_{name}_flask()",
                                    workers=args.web_workers, ready_event=None, config=None, args=flags)  # fmt: skip
    commands = {
        "celery": [[str(bin_dir / "celery"), "-A", "bench.work:celery_app", "worker", "--concurrency", str(args.slots), "--loglevel", "WARNING"]],
        "rq": [[str(bin_dir / "rq"), "worker", "--quiet", "-c", "bench.work", "--url", url]] * args.slots,
    }  # fmt: skip
    try:
        system.web.start(timeout_s=60)
        for i, command in enumerate(commands.get(name, [])):
            log_path, env = (
                directory / f"worker{i}.log",
                harness.child_env({"BENCH_REDIS_URL": url}),
            )
            system.workers.append(
                harness.start_group(command, log_path=log_path, env=env, cwd=directory)
            )
        harness.wait_until(lambda: runs_a_job(system.web.url), 60, 0.2, f"{name} runs no job")
    except BaseException:
        system.stop()
        raise
    return system


def job_cycle(body: dict[str, Any], lineups: int):
    """Submit, poll until complete, read the result; measures each request and the whole job."""
    encoded = json.dumps(body).encode()

    def cycle(client: Client) -> Samples:
        sent = time.perf_counter()
        status, document, seconds = client.call("POST", "/optimize", encoded)
        if status != 202:
            raise RuntimeError(f"POST answered {status}: {str(document)[:200]}")
        path, delay = f"/optimize/{document['run_id']}", POLL_FIRST_S
        samples = [("submit", seconds)]
        while True:
            time.sleep(delay)
            status, document, seconds = client.call("GET", path)
            samples.append(("status", seconds))
            if document["status"] == "complete":
                break
            elapsed = time.perf_counter() - sent
            if document["status"] not in ("pending", "running") or elapsed > JOB_TIMEOUT_S:
                raise RuntimeError(f"job {path} is {document['status']} after {elapsed:.0f} s")
            delay = min(2 * delay, POLL_MAX_S)
        samples.append(("job", time.perf_counter() - sent))
        status, document, seconds = client.call("GET", f"{path}/result")
        if status != 200 or len(document["result"]["lineups"]) != lineups:
            raise RuntimeError(f"GET {path}/result answered {status}: {str(document)[:200]}")
        return [*samples, ("result", seconds)]

    return cycle


def runs_a_job(url: str) -> bool:
    """True once one no-op job went through the API (the system's workers may still boot)."""
    client = Client(url)
    try:
        job_cycle(noop_body(), 0)(client)
        return True
    except (OSError, RuntimeError, KeyError):
        return False
    finally:
        client.close()


def measure(system: System, kind: str, args: Any) -> None:
    """One counting window of one kind of job against one system, added to its runs."""
    body, seconds = (
        (noop_body(), args.seconds) if kind == "noop" else (optimize_body(), args.optimize_seconds)
    )
    result = closed_loop(system.web.url, job_cycle(body, LINEUPS[kind]), clients=args.clients,
                         processes=args.client_processes, warmup_s=args.warmup, seconds=seconds)  # fmt: skip
    system.runs.setdefault(kind, LoadResult(0.0)).add(result, window=True)
    print(f"  {kind:8} {system.name:7} {result.rate:7.1f} jobs/s  job p50 {result.ms('job', 50):7.1f} "
          f"p99 {result.ms('job', 99):7.1f} ms  status p99 {result.ms('status', 99):6.1f} ms  "
          f"load {os.getloadavg()[0]:4.1f}  errors {dict(result.errors) or 0}", flush=True)  # fmt: skip


def report(systems: list[System], kinds: list[str]) -> None:
    """The markdown table (pooled over the rounds) and the verdict on each goal."""
    print("\n| jobs | system | jobs/s (per round) | submit->complete p50 / p99 ms | status p50 / p99 ms | errors |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- |")
    runs = {(kind, s.name): s.runs[kind] for kind in kinds for s in systems}
    for (kind, name), total in runs.items():
        print(f"| {kind} | {name} | {total.rate:.1f} ({', '.join(f'{r:.1f}' for r in total.rates)}) | "
              f"{total.ms('job', 50):.1f} / {total.ms('job', 99):.1f} | {total.ms('status', 50):.1f} / "
              f"{total.ms('status', 99):.1f} | {sum(total.errors.values())} |")  # fmt: skip
    for kind, rival in [(k, r) for k in kinds for r in ("celery", "rq") if {(k, r), (k, "service")} <= runs.keys()]:  # fmt: skip
        ours, theirs = runs[kind, "service"], runs[kind, rival]
        goal = {"noop": 1.5, "optimize": 1.0}.get(kind) if rival == "celery" else None
        ratio, p50_met = ours.rate / theirs.rate, ours.ms("job", 50) < theirs.ms("job", 50)
        verdict = (
            "" if goal is None else f" (goal >= {goal}: {'met' if ratio >= goal else 'MISSED'})"
        )
        print(f"{kind}: jobs/s service / {rival} = {ratio:.2f}{verdict}; p50 {ours.ms('job', 50):.1f} vs "
              f"{theirs.ms('job', 50):.1f} ms (goal lower: {'met' if p50_met else 'MISSED'})")  # fmt: skip


def run(args: Any, workdir: Path) -> None:
    """Start the systems, alternate the rounds, print the table; stops everything on the way out."""
    names, kinds = args.systems.split(","), args.kinds.split(",")
    if missing := [
        name for name in names if name != "service" and not importlib.util.find_spec(name)
    ]:
        raise SystemExit(
            f"{', '.join(missing)} not installed: .venv/bin/pip install celery rq (benchmark-only)"
        )
    systems: list[System] = []
    try:
        for name in names:
            systems.append(start_system(name, workdir, args))
        print(
            f"== {len(systems)} systems up; {args.rounds} rounds, {args.clients} clients; load {os.getloadavg()}"
        )
        for round_index in range(args.rounds):
            shift = round_index % len(systems)
            for kind in kinds:
                for system in systems[shift:] + systems[:shift]:
                    measure(system, kind, args)
        report(systems, kinds)
    finally:
        for system in systems:
            system.stop()
