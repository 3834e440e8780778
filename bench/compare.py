"""The same job API served three ways, side by side: this service, Flask + Celery, Flask + RQ.

Each system gets a private redis-server and the same front: gunicorn, `--web-workers` gthread
processes x `--threads` request threads. Jobs get `--slots` execution slots in each: the service
runs slots / web-workers job threads in each gunicorn worker; Celery one prefork worker with
`--concurrency slots`; RQ `slots` `rq worker` processes (each forks a work horse per job, RQ's
default; `-c bench.work` imports the job's module first, as RQ's docs advise). `pip install celery rq` first (benchmark-only dependencies).

Every client repeats: POST /optimize, poll GET /optimize/<id> (after 1 ms, then doubling up to
50 ms) until complete, GET /optimize/<id>/result. Rounds rotate the order of the systems so all
three see the same conditions on a shared machine.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.harness import GunicornServer, RedisServer, child_env, start_group, stop_group
from bench.load import Client, LoadResult, Samples, closed_loop
from bench.work import noop_body, optimize_body

SYSTEMS = ("service", "celery", "rq")
JOB_TIMEOUT_S = 300.0
POLL_FIRST_S, POLL_MAX_S = 0.001, 0.05
LINEUPS = {"noop": 0, "optimize": 20}


@dataclass
class System:
    """One way of serving the API: its processes and what its runs measured, by job kind."""

    name: str
    redis: RedisServer
    web: GunicornServer
    workers: list = field(default_factory=list)
    runs: dict[str, list[LoadResult]] = field(default_factory=dict)

    def stop(self) -> None:
        for process in self.workers:
            stop_group(process)
        self.web.stop()
        self.redis.kill()


def start_system(name: str, workdir: Path, *, web_workers: int, threads: int, slots: int) -> System:
    """Redis, gunicorn and (Celery, RQ) the job workers of one system; returns once it runs a job."""
    directory = workdir / name
    directory.mkdir(parents=True)
    redis_server = RedisServer(directory, appendonly=False).start()
    if name == "service":
        env = {"REDIS_URL": redis_server.url, "JOB_WORKERS": str(max(1, slots // web_workers)),
               "GUNICORN_THREADS": str(threads)}  # fmt: skip
        web = GunicornServer(
            directory, env, app="bench.work:create_service_app()", workers=web_workers
        )
    else:
        flags = ("--workers", str(web_workers), "--threads", str(threads), "--worker-class", "gthread",
                 "--keep-alive", "75")  # fmt: skip
        web = GunicornServer(
            directory, {"BENCH_REDIS_URL": redis_server.url}, app=f"bench.rivals:create_{name}_flask()",
            workers=web_workers, ready_event=None, config=None, args=flags,
        )  # fmt: skip
    system = System(name, redis_server, web)
    try:
        web.start(timeout_s=60)
        env = child_env(BENCH_REDIS_URL=redis_server.url)
        bin_dir = Path(sys.executable).parent
        if name == "celery":
            args = [str(bin_dir / "celery"), "-A", "bench.rivals:celery_app", "worker",
                    "--concurrency", str(slots), "--loglevel", "WARNING"]  # fmt: skip
            system.workers.append(
                start_group(args, log_path=directory / "celery.log", env=env, cwd=directory)
            )
        elif name == "rq":
            args = [
                str(bin_dir / "rq"),
                "worker",
                "--quiet",
                "-c",
                "bench.work",
                "--url",
                redis_server.url,
            ]
            system.workers += [
                start_group(args, log_path=directory / f"rq{i}.log", env=env, cwd=directory)
                for i in range(slots)
            ]
        run_one(web.url, noop_body(), timeout_s=60)
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
        path, samples, delay = (
            f"/optimize/{document['run_id']}",
            [("submit", seconds)],
            POLL_FIRST_S,
        )
        while True:
            time.sleep(delay)
            status, document, seconds = client.call("GET", path)
            samples.append(("status", seconds))
            if document["status"] == "complete":
                break
            if document["status"] not in ("pending", "running"):
                raise RuntimeError(f"job {path} ended {document['status']}")
            if time.perf_counter() - sent > JOB_TIMEOUT_S:
                raise TimeoutError(f"job {path} not complete after {JOB_TIMEOUT_S:.0f} s")
            delay = min(2 * delay, POLL_MAX_S)
        samples.append(("job", time.perf_counter() - sent))
        status, document, seconds = client.call("GET", f"{path}/result")
        if status != 200 or len(document["result"]["lineups"]) != lineups:
            raise RuntimeError(f"GET {path}/result answered {status}: {str(document)[:200]}")
        return [*samples, ("result", seconds)]

    return cycle


def run_one(url: str, body: dict[str, Any], timeout_s: float) -> None:
    """One job through the API, retried until the system answers (its workers may still boot)."""
    deadline, client = time.monotonic() + timeout_s, Client(url)
    try:
        while True:
            try:
                job_cycle(body, 0)(client)
                return
            except (OSError, RuntimeError, KeyError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        client.close()


def machine_busy() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine since boot, from /proc/stat."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    return sum(ticks) - ticks[3] - ticks[4], sum(ticks)


def measure(system: System, kind: str, args: Any) -> LoadResult:
    body = noop_body() if kind == "noop" else optimize_body()
    seconds = args.seconds if kind == "noop" else args.optimize_seconds
    before = machine_busy()
    result = closed_loop(
        system.web.url, job_cycle(body, LINEUPS[kind]), clients=args.clients,
        processes=args.client_processes, warmup_s=args.warmup, seconds=seconds,
    )  # fmt: skip
    after = machine_busy()
    busy = 100 * os.cpu_count() * (after[0] - before[0]) / max(1, after[1] - before[1])
    system.runs.setdefault(kind, []).append(result)
    print(f"  {kind:8} {system.name:7} {result.rate:7.1f} jobs/s  job p50 {result.ms('job', 50):7.1f} "
          f"p99 {result.ms('job', 99):7.1f} ms  status p99 {result.ms('status', 99):6.1f} ms  "
          f"machine {busy:3.0f}% cpu  errors {dict(result.errors) or 0}", flush=True)  # fmt: skip
    return result


def pooled(runs: list[LoadResult]) -> LoadResult:
    total = LoadResult(sum(run.seconds for run in runs))
    for run in runs:
        total.add(run)
    return total


def report(systems: list[System], kinds: list[str]) -> None:
    """The markdown table and the verdict of each goal."""
    print(
        "\n| jobs | system | jobs/s (per round) | submit->complete p50 / p99 ms | status p50 / p99 ms | errors |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    figures: dict[tuple[str, str], LoadResult] = {}
    for kind in kinds:
        for system in systems:
            runs = system.runs.get(kind, [])
            total = figures[kind, system.name] = pooled(runs)
            rounds = ", ".join(f"{run.rate:.1f}" for run in runs)
            print(f"| {kind} | {system.name} | {total.rate:.1f} ({rounds}) | {total.ms('job', 50):.1f} / "
                  f"{total.ms('job', 99):.1f} | {total.ms('status', 50):.1f} / {total.ms('status', 99):.1f} | "
                  f"{sum(total.errors.values())} |")  # fmt: skip
    for line in verdicts(figures, kinds):
        print(line)


def verdicts(figures: dict[tuple[str, str], LoadResult], kinds: list[str]) -> list[str]:
    """Each goal against the measured figures: met or missed, with the numbers."""
    lines = []

    def ratio(kind: str, rival: str) -> float:
        return figures[kind, "service"].rate / max(figures[kind, rival].rate, 1e-9)

    if ("noop", "celery") in figures and ("noop", "service") in figures:
        value = ratio("noop", "celery")
        lines.append(
            f"no-op jobs/s, service / Celery = {value:.2f} (goal >= 1.5): {'met' if value >= 1.5 else 'MISSED'}"
        )
    for kind in kinds:
        for rival in ("celery", "rq"):
            if (kind, rival) in figures and (kind, "service") in figures:
                ours, theirs = (
                    figures[kind, "service"].ms("job", 50),
                    figures[kind, rival].ms("job", 50),
                )
                lines.append(f"{kind} p50 {ours:.1f} ms vs {rival} {theirs:.1f} ms (goal lower): "
                             f"{'met' if ours < theirs else 'MISSED'}")  # fmt: skip
    if ("optimize", "celery") in figures and ("optimize", "service") in figures:
        value = ratio("optimize", "celery")
        lines.append(
            f"optimize jobs/s, service / Celery = {value:.2f} (goal >= 1.0): {'met' if value >= 1.0 else 'MISSED'}"
        )
    return lines


def run(args: Any, workdir: Path) -> None:
    """Start the systems, alternate the rounds, print the table; stops everything on the way out."""
    names = [name.strip() for name in args.systems.split(",") if name.strip()]
    kinds = [kind.strip() for kind in args.kinds.split(",") if kind.strip()]
    systems: list[System] = []
    try:
        for name in names:
            systems.append(start_system(name, workdir, web_workers=args.web_workers, threads=args.threads,
                                        slots=args.slots))  # fmt: skip
        print(
            f"== {len(systems)} systems up; {args.rounds} rounds, {args.clients} clients; load {os.getloadavg()}"
        )
        for round_index in range(args.rounds):
            order = systems[round_index % len(systems) :] + systems[: round_index % len(systems)]
            for kind in kinds:
                for system in order:
                    measure(system, kind, args)
        report(systems, kinds)
    finally:
        for system in systems:
            system.stop()
