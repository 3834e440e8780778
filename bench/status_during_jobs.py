"""GET status latency while two optimize jobs run in the same gunicorn worker, side by side
with the same load on the idle worker.

One gunicorn worker (the real app, JOB_WORKERS=2, 8 request threads, file log off) on a private
redis-server. Each round measures GET /optimize/<id> with the worker idle, then submits two
optimize jobs on the generated NFL slate and measures the same load while both are running.
A busy round counts only if both jobs were still running when it ended (checked on their
records); the next round waits for them to finish.

Target: p99 under 50 ms while two optimize jobs run (the job threads must not starve requests).

Loads: N closed-loop clients (each sends its next request when the last is answered: the
worker's saturation point), or N@R: N clients each sending R requests/s on a fixed schedule
(pollers; latency counts from the scheduled moment). JOB_THREAD_NICE variants run side by side,
in alternating order, on separate servers sharing the Redis: by default the service's defaults
(JOB_THREAD_NICE=10, GC_FREEZE=true) against both turned off.

Usage: .venv/bin/python bench/status_during_jobs.py [--loads 1,16,16@15] [--seconds 5]
       [--rounds 2] [--scenarios 1000] [--lineups 150] [--variant NAME:VAR=VALUE,...]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.http_load import LoadResult, format_row, get_rotating, run_load, seed_ids
from bench.servers import group_cpu_seconds, machine_busy_cpu_seconds
from bench.slates import nfl_slate
from tests.support.gunicorn_server import GunicornServer
from tests.support.redis_server import RedisServer

SMALL_JOB = {
    "slate_id": "tiny",
    "n_scenarios": 0,
    "players": nfl_slate(seed=7, games=2),
}


def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def _submit(url: str, body: dict) -> str:
    request = urllib.request.Request(
        f"{url}/optimize",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["run_id"]


def _status(url: str, run_id: str) -> str:
    return _get_json(f"{url}/optimize/{run_id}")["status"]


def _wait_status(url: str, run_ids: list[str], wanted: set[str], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if all(_status(url, run_id) in wanted for run_id in run_ids):
            return True
        time.sleep(0.05)
    return False


def _heavy_job(args: argparse.Namespace, seed: int) -> dict:
    return {
        "slate_id": f"nfl-bench-{seed}",
        "sport": "nfl",
        "n_lineups": args.lineups,
        "n_scenarios": args.scenarios,
        "seed": seed,
        "players": nfl_slate(seed=1),
    }


@dataclass(frozen=True)
class Load:
    """`clients` closed-loop clients, or each sending `rate` requests/s on a fixed schedule."""

    clients: int
    rate: float | None = None

    @classmethod
    def parse(cls, text: str) -> Load:
        clients, _, rate = text.partition("@")
        return cls(int(clients), float(rate) if rate else None)

    def __str__(self) -> str:
        if self.rate is None:
            return f"{self.clients} closed-loop"
        return f"{self.clients}x{self.rate:g}/s paced"


def _measure(server: GunicornServer, spec, load: Load, seconds: float) -> LoadResult:
    pgid = server.process.pid
    return run_load(
        server.url,
        spec,
        connections=load.clients,
        processes=min(2, load.clients),
        duration_s=seconds,
        warmup_s=0.5,
        cpu_probes={"server": lambda: group_cpu_seconds(pgid), "machine": machine_busy_cpu_seconds},
        pace_s=1 / load.rate if load.rate else None,
    )


def _round(server: GunicornServer, spec, load: Load, args, seed: int) -> tuple:
    """(idle result, busy result or None when the jobs ended inside the window, job states)."""
    idle = _measure(server, spec, load, args.seconds)
    jobs = [_submit(server.url, _heavy_job(args, seed + k)) for k in range(2)]
    if not _wait_status(server.url, jobs, {"running"}, 30):
        raise SystemExit("the two optimize jobs did not both start")
    busy = _measure(server, spec, load, args.seconds)
    states = [_status(server.url, run_id) for run_id in jobs]
    if not _wait_status(server.url, jobs, {"complete", "failed"}, 600):
        raise SystemExit("the optimize jobs did not finish within 600 s")
    failed = [r for r in jobs if _status(server.url, r) != "complete"]
    if failed:
        raise SystemExit(f"optimize jobs failed: {failed}")
    return idle, (busy if all(s == "running" for s in states) else None), states


DEFAULT_VARIANTS = ["untuned:JOB_THREAD_NICE=0,GC_FREEZE=false", "defaults:"]


def _variants(texts: list[str]) -> dict[str, dict[str, str]]:
    """{name: extra environment} from NAME:VAR=VALUE,VAR=VALUE texts."""
    variants = {}
    for text in texts:
        name, _, pairs = text.partition(":")
        variants[name] = dict(pair.split("=", 1) for pair in pairs.split(",") if pair)
    return variants


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--loads", default="1,16,16@15", help="N closed-loop clients, or N@R: N clients at R/s each"
    )
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--scenarios", type=int, default=1000)
    parser.add_argument("--lineups", type=int, default=150)
    parser.add_argument(
        "--variant",
        action="append",
        help="NAME:VAR=VALUE,... server settings to compare (repeat); default: the defaults "
        "against JOB_THREAD_NICE=0,GC_FREEZE=false",
    )
    args = parser.parse_args()
    loads = [Load.parse(text) for text in args.loads.split(",")]
    variant_env = _variants(args.variant or DEFAULT_VARIANTS)
    variants = list(variant_env)

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "redis").mkdir()
        redis_server = RedisServer(workdir / "redis", appendonly=False).start()
        servers: dict[str, GunicornServer] = {}
        results: dict[tuple[str, str, int], list[LoadResult]] = {}
        try:
            for i, variant in enumerate(variants):
                env = {
                    "REDIS_URL": redis_server.url,
                    "REDIS_KEY_PREFIX": f"statusbench{i}",
                    "JOB_WORKERS": "2",
                    "GUNICORN_THREADS": "8",
                    "LOG_FILE": "",
                    **variant_env[variant],
                }
                server = GunicornServer(workdir, env, app="webapp:create_app()", name=f"s{i}")
                servers[variant] = server.start(timeout_s=60)
            specs = {}
            for variant, server in servers.items():
                ids = seed_ids(server.url, "/optimize", SMALL_JOB, 20)
                if not _wait_status(server.url, ids, {"complete"}, 60):
                    raise SystemExit("the seeding jobs did not complete")
                specs[variant] = get_rotating("/optimize/", ids, label="GET status")
            print(f"each server: 1 gunicorn worker, 2 job threads, 8 request threads; "
                  f"cpus {os.cpu_count()}")  # fmt: skip
            for round_ in range(args.rounds):
                order = variants if round_ % 2 == 0 else list(reversed(variants))
                for number, load in enumerate(loads):
                    for variant in order:
                        seed = 1000 * round_ + 10 * number
                        idle, busy, states = _round(
                            servers[variant], specs[variant], load, args, seed
                        )
                        results.setdefault((variant, "idle", load), []).append(idle)
                        tag = f"round {round_ + 1} {variant:8} {load!s:17}"
                        print(f"  {tag} idle    {format_row(idle)}")
                        if busy is None:
                            print(f"  {tag} 2 jobs  not counted: jobs were {states} at the end")
                        else:
                            results.setdefault((variant, "jobs", load), []).append(busy)
                            print(f"  {tag} 2 jobs  {format_row(busy)}")
        finally:
            for server in servers.values():
                server.stop()
            redis_server.stop()

    _summary(results, variants, loads, args)


def _summary(results: dict, variants: list[str], loads: list[Load], args) -> None:
    print("\n== GET /optimize/<id>, 1 gunicorn worker: idle vs two optimize jobs running ==")
    print(f"  jobs: NFL {len(nfl_slate(seed=1))} players, {args.lineups} lineups, "
          f"{args.scenarios} scenarios each; p99 target < 50 ms while they run")  # fmt: skip
    for load in loads:
        for variant in variants:
            for state in ("idle", "jobs"):
                runs = results.get((variant, state, load), [])
                label = f"{variant:8} {state:4} {load!s:17}"
                if not runs:
                    print(f"  {label}: no valid round")
                    continue
                p99 = [r.percentile(99) for r in runs]
                p50 = [r.percentile(50) for r in runs]
                rps = [r.rps for r in runs]
                print(
                    f"  {label}: p50 {statistics.median(p50):6.2f} ms  "
                    f"p99 {statistics.median(p99):6.2f} ms (worst round {max(p99):6.2f})  "
                    f"{statistics.median(rps):6.0f} req/s  rounds {len(runs)}"
                )


if __name__ == "__main__":
    main()
