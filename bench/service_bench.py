"""Service-only figures, side by side in one run: logging cost, /ready latency, queue drain rate.

Usage: .venv/bin/python bench/service_bench.py [--seconds 4] [--rounds 3] [--jobs 2000]
       [--parts logging,ready,drain]

- Logging cost: GET /optimize/<id> throughput with the JSON log file on, off, and with the access
  log off too; the variants run in alternating rounds so machine noise lands on all of them.
- /ready latency with healthy Redis (Neo4j not configured): with the 1 s cache and uncached.
- Queue drain: N no-op jobs queued while every runner is paused, then released; jobs/s from the
  first start to the last finish on the records, against RQ's SimpleWorker draining N queued
  no-op jobs on the same Redis (both exclude enqueueing).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.http_load import format_row, get_path, get_rotating, run_load, seed_ids
from bench.rq_baseline import rq_simpleworker_inprocess
from bench.servers import group_cpu_seconds
from tests.support.gunicorn_server import GunicornServer
from tests.support.redis_server import RedisServer
from tests.support.waiting import wait_until
from webapp.clock import from_iso

BODY = {
    "slate_id": "bench",
    "n_scenarios": 0,
    "players": [
        {"id": f"p{i}", "name": f"Player {i}", "positions": ["QB"], "salary": 5000,
         "team": "AAA", "opponent": "BBB", "projection": 10.0}
        for i in range(2)
    ],
}  # fmt: skip
APP = "tests.support.apps:create_noop_app()"


def start(workdir: Path, env: dict, name: str) -> GunicornServer:
    return GunicornServer(workdir, env, app=APP, workers=2, name=name).start()


def logging_cost(workdir: Path, env: dict, seconds: float, rounds: int) -> None:
    variants = {
        "log file on": {"LOG_FILE": str(workdir / "svc.log")},
        "log file off": {"LOG_FILE": ""},
        "log file off, access log off": {"LOG_FILE": "", "ACCESS_LOG": "false"},
    }
    servers = {
        label: start(workdir, {**env, **extra}, f"log{i}")
        for i, (label, extra) in enumerate(variants.items())
    }
    try:
        specs = {
            label: get_rotating("/optimize/", seed_ids(server.url, "/optimize", BODY, 100))
            for label, server in servers.items()
        }
        rps: dict[str, list[float]] = {label: [] for label in variants}
        cpu_us: dict[str, list[float]] = {label: [] for label in variants}
        for round_ in range(rounds):
            order = list(variants) if round_ % 2 == 0 else list(reversed(variants))
            for label in order:
                pgid = servers[label].process.pid
                result = run_load(
                    servers[label].url,
                    specs[label],
                    duration_s=seconds,
                    cpu_probes={"server": lambda pgid=pgid: group_cpu_seconds(pgid)},
                )
                rps[label].append(result.rps)
                cpu_us[label].append(1e6 * result.cpu_seconds["server"] / max(1, result.ok))
                print(f"  round {round_ + 1} {label:30} {format_row(result)}")
    finally:
        for server in servers.values():
            server.stop()
    base = statistics.median(rps["log file off, access log off"])
    base_cpu = statistics.median(cpu_us["log file off, access log off"])
    print("\n== logging cost, GET /optimize/<id>, 16 clients (median of rounds) ==")
    for label, values in rps.items():
        cpu = statistics.median(cpu_us[label])
        print(
            f"  {label:30} {statistics.median(values):8.0f} req/s  "
            f"{statistics.median(values) / base:.2f} of no logging;  "
            f"server CPU {cpu:5.0f} us/request, {cpu / base_cpu:.2f} of no logging"
        )


def ready_latency(workdir: Path, env: dict, seconds: float) -> None:
    print("\n== /ready, healthy Redis, Neo4j not configured, 16 clients ==")
    for label, cache in (("cached (1 s)", "1"), ("uncached", "0")):
        server = start(
            workdir, {**env, "READY_CACHE_SECONDS": cache, "LOG_FILE": ""}, f"ready{cache}"
        )
        try:
            result = run_load(server.url, get_path("/ready"), duration_s=seconds)
        finally:
            server.stop()
        print(f"  /ready {label:14} {format_row(result)}")


def queue_drain(workdir: Path, env: dict, redis_url: str, n_jobs: int) -> None:
    from webapp import create_app
    from webapp.config import Settings
    from webapp.jobs import service
    from webapp.jobs.extension import get_jobs

    flag = workdir / "paused.flag"
    flag.write_text("paused")
    prefix = "drainbench"
    server = start(workdir, {**env, "REDIS_KEY_PREFIX": prefix, "DRAIN_FLAG_FILE": str(flag),
                             "JOB_WORKERS": "4", "LOG_FILE": ""}, "drain")  # fmt: skip
    settings = Settings(
        redis_url=redis_url, redis_key_prefix=prefix, log_file="", log_level="WARNING"
    )
    store = get_jobs(create_app(settings)).store()
    try:
        run_ids = [service.submit(store, dict(BODY)).run_id for _ in range(n_jobs)]
        flag.unlink()
        wait_until(
            lambda: store.queue_stats().pending + store.queue_stats().running == 0, 120, 0.05
        )
        records = [store.get(run_id) for run_id in run_ids]
    finally:
        server.stop()
    first = min(from_iso(r.started_at) for r in records)
    last = max(from_iso(r.finished_at) for r in records)
    ours = n_jobs / (last - first).total_seconds()
    rq = rq_simpleworker_inprocess(redis_url, n_jobs)
    rq_rate = rq["jobs_per_s"]
    print(f"\n== queue drain, {n_jobs} queued no-op jobs ==")
    print(f"  service runners, 2 workers x 4 threads: {ours:7.0f} jobs/s")
    print(
        f"  RQ SimpleWorker, in-process burst:      {rq_rate:7.0f} jobs/s   ratio {ours / rq_rate:.2f}"
    )
    print(f"  (RQ report: {rq})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument(
        "--parts", default="logging,ready,drain", help="which of logging,ready,drain to run"
    )
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "redis").mkdir()
        redis_server = RedisServer(workdir / "redis", appendonly=False).start()
        env = {"REDIS_URL": redis_server.url, "REDIS_KEY_PREFIX": "svcbench"}
        try:
            if "logging" in parts:
                logging_cost(workdir, env, args.seconds, args.rounds)
            if "ready" in parts:
                ready_latency(workdir, env, args.seconds)
            if "drain" in parts:
                queue_drain(workdir, env, redis_server.url, args.jobs)
        finally:
            redis_server.kill()


if __name__ == "__main__":
    main()
