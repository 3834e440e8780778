"""Service vs baselines, side by side in one run on this machine (loopback only, bounded).

Usage: .venv/bin/python bench/http_bench.py [--seconds 8] [--jobs 2000]

- POST /optimize, GET /optimize/<id>, GET /health: the service (2 gunicorn workers, no-op job
  kind) against a bare Flask + Redis app under the same gunicorn settings, 16 concurrent clients;
- no-op jobs end to end: the service's runners draining a queue of N jobs against RQ's
  SimpleWorker on the same Redis; submit -> running latency of single jobs on idle workers;
- logging cost: GET status throughput with the log file on, off, and with the access log off;
- /ready latency with its 1 s cache and uncached.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.http_load import LoadResult, run_load
from bench.rq_baseline import rq_jobs_per_second
from tests.support.gunicorn_server import GunicornServer
from tests.support.redis_server import RedisServer
from tests.support.waiting import wait_until
from webapp.clock import from_iso

BODY = {
    "slate_id": "bench",
    "n_scenarios": 0,
    "players": [
        {"id": f"p{i}", "name": f"Player {i}", "positions": ["QB"], "salary": 5000,
         "team": "AAA", "opponent": "BBB", "projection": 10.0 + i}
        for i in range(2)
    ],
}  # fmt: skip
SERVICE = "tests.support.apps:create_noop_app()"
BARE = "bench.bare_app:create_bare_app()"


def start(workdir: Path, app: str, env: dict, name: str, runner: bool = True) -> GunicornServer:
    server = GunicornServer(
        workdir, {"LOG_FILE": "", **env}, app=app, workers=2, name=name,
        ready_event="job_runner_started" if runner else None,
    )  # fmt: skip
    return server.start()


def row(label: str, result: LoadResult) -> str:
    errors = sum(result.errors.values())
    return (
        f"{label:34} {result.rps:8.0f} req/s  p50 {result.percentile(50):6.2f} ms  "
        f"p99 {result.percentile(99):6.2f} ms  errors {errors}"
    )


def seed_ids(server: GunicornServer, count: int = 200) -> list[str]:
    with requests.Session() as session:
        return [
            session.post(f"{server.url}/optimize", json=BODY, timeout=10).json()["run_id"]
            for _ in range(count)
        ]


def http_round(server: GunicornServer, seconds: float) -> dict[str, LoadResult]:
    ids = seed_ids(server)
    return {
        "POST /optimize": run_load(server.port, "POST", ["/optimize"], body=BODY, duration_s=seconds),
        "GET /optimize/<id>": run_load(server.port, "GET", [f"/optimize/{i}" for i in ids], duration_s=seconds),
        "GET /health": run_load(server.port, "GET", ["/health"], duration_s=seconds),
    }  # fmt: skip


def job_throughput(workdir: Path, env: dict, n_jobs: int) -> float:
    """Queue n_jobs while every runner is paused (drain flag), release them, and measure from
    the first job's start to the last job's finish, as stored on the records."""
    from webapp import create_app
    from webapp.config import Settings
    from webapp.jobs import service
    from webapp.jobs.extension import get_jobs

    flag = workdir / "paused.flag"
    flag.write_text("paused")
    job_env = {**env, "DRAIN_FLAG_FILE": str(flag), "JOB_WORKERS": "4"}
    server = start(workdir, SERVICE, job_env, "jobs")
    prefix = env["REDIS_KEY_PREFIX"]
    settings = Settings(
        redis_url=env["REDIS_URL"], redis_key_prefix=prefix, log_file="", log_level="WARNING"
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
    assert all(r.status == "complete" for r in records)
    first = min(from_iso(r.started_at) for r in records)
    last = max(from_iso(r.finished_at) for r in records)
    return n_jobs / (last - first).total_seconds()


def submit_to_running(server: GunicornServer, count: int = 100) -> list[float]:
    """Milliseconds from created_at to started_at of jobs sent one at a time to idle workers."""
    waits = []
    with requests.Session() as session:
        for _ in range(count):
            run_id = session.post(f"{server.url}/optimize", json=BODY, timeout=10).json()["run_id"]
            document = wait_until(
                lambda r=run_id: (d := session.get(f"{server.url}/optimize/{r}", timeout=10).json())["started_at"] and d,
                10, 0.005,
            )  # fmt: skip
            started, created = from_iso(document["started_at"]), from_iso(document["created_at"])
            waits.append((started - created).total_seconds() * 1000)
            time.sleep(0.05)
    return waits


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    report: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "redis").mkdir()
        redis_server = RedisServer(workdir / "redis", appendonly=False).start()
        env = {"REDIS_URL": redis_server.url, "REDIS_KEY_PREFIX": "bench"}
        try:
            bare = start(workdir, BARE, env, "bare", runner=False)
            bare_results = http_round(bare, args.seconds)
            bare.stop()
            service = start(workdir, SERVICE, env, "service")
            service_results = http_round(service, args.seconds)
            waits = submit_to_running(service)
            service.stop()
            print("\n== HTTP, 16 concurrent clients, 2 gunicorn workers (gthread, 8 threads) ==")
            targets = {"POST /optimize": 0.60, "GET /optimize/<id>": 0.70, "GET /health": 0.80}
            for name, target in targets.items():
                b, s = bare_results[name], service_results[name]
                print(row(f"bare    {name}", b))
                print(row(f"service {name}", s))
                print(f"{'':34} ratio {s.rps / b.rps:.2f} (target >= {target:.2f})")
                report[name] = {"bare_rps": b.rps, "service_rps": s.rps, "ratio": s.rps / b.rps,
                                "service_p50_ms": s.percentile(50), "service_p99_ms": s.percentile(99)}  # fmt: skip
            print(f"\nsubmit -> running on idle workers: p50 {statistics.median(waits):.2f} ms, "
                  f"p90 {sorted(waits)[int(0.9 * len(waits))]:.2f} ms (n={len(waits)})")  # fmt: skip
            report["submit_to_running_p50_ms"] = statistics.median(waits)

            ours = job_throughput(workdir, {**env, "REDIS_KEY_PREFIX": "benchjobs"}, args.jobs)
            rq = rq_jobs_per_second(redis_server.url, args.jobs)
            print(f"\n== no-op jobs, {args.jobs} queued ==")
            print(f"service runners (2 workers x 4 threads): {ours:8.0f} jobs/s")
            print(
                f"RQ SimpleWorker (one process):           {rq:8.0f} jobs/s   ratio {ours / rq:.2f} (target >= 2)"
            )
            report["jobs"] = {"service_jobs_per_s": ours, "rq_jobs_per_s": rq, "ratio": ours / rq}

            print("\n== logging cost, GET /optimize/<id> ==")
            variants = {
                "log file on": {"LOG_FILE": str(workdir / "svc.log")},
                "log file off": {"LOG_FILE": ""},
                "log file off, access log off": {"LOG_FILE": "", "ACCESS_LOG": "false"},
            }
            logging_rps = {}
            for label, extra in variants.items():
                server = start(workdir, SERVICE, {**env, **extra}, f"log{len(logging_rps)}")
                ids = seed_ids(server, 100)
                result = run_load(
                    server.port, "GET", [f"/optimize/{i}" for i in ids], duration_s=args.seconds
                )
                server.stop()
                logging_rps[label] = result.rps
                print(row(label, result))
            base = logging_rps["log file off, access log off"]
            for label, rps in logging_rps.items():
                print(f"{label:34} {rps / base:.2f} of the no-logging throughput")
            report["logging"] = logging_rps

            print("\n== /ready latency, healthy Redis, Neo4j not configured ==")
            for label, cache in (("cached (1 s)", "1"), ("uncached", "0")):
                server = start(
                    workdir, SERVICE, {**env, "READY_CACHE_SECONDS": cache}, f"ready{cache}"
                )
                result = run_load(server.port, "GET", ["/ready"], duration_s=args.seconds)
                server.stop()
                print(row(f"/ready {label}", result))
                report[f"ready_{cache}"] = {
                    "p50_ms": result.percentile(50),
                    "p99_ms": result.percentile(99),
                    "rps": result.rps,
                }
        finally:
            redis_server.kill()
    if args.json_out:
        args.json_out.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
