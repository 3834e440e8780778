"""No-op job throughput: RQ's SimpleWorker as the baseline, and the service end to end.

Bench-only dependency: `.venv/bin/pip install rq` (not a dependency of the service).

- rq_simpleworker_inprocess / rq_simpleworker_subprocess: enqueue N no-op jobs, then time one
  burst SimpleWorker draining them (jobs/s = N / wall time of the worker). The subprocess
  variant (`rq worker --burst --worker-class rq.worker.SimpleWorker`) also pays interpreter
  start-up, so its first-start-to-last-end span from the job records is reported beside it.
- measure_service_jobs: POST N jobs to the service from 16 clients in 2 processes, then read
  each record once done; jobs/s from the first job accepted to the last finished (records).
- measure_submit_to_running: one job at a time on idle runners, how long a job stays pending.

CLI: .venv/bin/python -m bench.rq_baseline --jobs 2000   (starts and stops a private Redis)
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import redis

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_BODY: dict[str, Any] = {"slate_id": "bench", "players": []}


# ---------------------------------------------------------------- RQ
def _enqueue_noops(connection: redis.Redis, queue_name: str, n_jobs: int) -> list[str]:
    """Put n_jobs no-op jobs on a fresh queue in one pipeline; return their ids."""
    from rq import Queue

    from bench.noop_tasks import noop

    queue = Queue(queue_name, connection=connection)
    queue.empty()
    jobs = queue.enqueue_many([Queue.prepare_data(noop) for _ in range(n_jobs)])
    return [job.id for job in jobs]


def _record_span_s(connection: redis.Redis, job_ids: list[str]) -> tuple[float, int]:
    """Seconds from the first job's start to the last job's end, and how many finished."""
    from rq.job import Job, JobStatus

    jobs = [job for job in Job.fetch_many(job_ids, connection=connection) if job is not None]
    done = [job for job in jobs if job.get_status() == JobStatus.FINISHED]
    if not done:
        return float("nan"), 0
    first = min(job.started_at for job in done)
    last = max(job.ended_at for job in done)
    return (last - first).total_seconds(), len(done)


def rq_simpleworker_inprocess(redis_url: str, n_jobs: int = 2000) -> dict[str, Any]:
    """One SimpleWorker in this process draining n_jobs no-op jobs in burst mode."""
    from rq import Queue, SimpleWorker

    connection = redis.Redis.from_url(redis_url)
    try:
        name = f"bench-noop-{uuid.uuid4().hex[:8]}"
        job_ids = _enqueue_noops(connection, name, n_jobs)
        worker = SimpleWorker([Queue(name, connection=connection)], connection=connection)
        started = time.perf_counter()
        worker.work(burst=True, logging_level="WARNING")
        wall = time.perf_counter() - started
        span, done = _record_span_s(connection, job_ids)
    finally:
        connection.close()
    return _rq_report("in-process", n_jobs, wall, span, done)


def rq_simpleworker_subprocess(
    redis_url: str, n_jobs: int = 2000, timeout_s: float = 120.0
) -> dict[str, Any]:
    """`rq worker --burst` with SimpleWorker in a child process draining n_jobs no-op jobs."""
    connection = redis.Redis.from_url(redis_url)
    try:
        name = f"bench-noop-{uuid.uuid4().hex[:8]}"
        job_ids = _enqueue_noops(connection, name, n_jobs)
        args = [
            str(Path(sys.executable).with_name("rq")), "worker", "--burst", "--quiet",
            "--worker-class", "rq.worker.SimpleWorker", "--url", redis_url, name,
        ]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        started = time.perf_counter()
        process = subprocess.Popen(
            args, cwd=ROOT, env=env, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            _, stderr = process.communicate(timeout=timeout_s)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, 9)
                process.wait(timeout=5)
        wall = time.perf_counter() - started
        if process.returncode != 0:
            raise RuntimeError(f"rq worker exited {process.returncode}: {stderr.decode()[-2000:]}")
        span, done = _record_span_s(connection, job_ids)
    finally:
        connection.close()
    return _rq_report("subprocess", n_jobs, wall, span, done)


def _rq_report(how: str, n_jobs: int, wall: float, span: float, done: int) -> dict[str, Any]:
    return {
        "how": how,
        "jobs": n_jobs,
        "finished": done,
        "wall_s": round(wall, 3),
        "jobs_per_s": round(n_jobs / wall, 1),
        "record_span_s": round(span, 3),
        "record_jobs_per_s": round(done / span, 1) if span == span and span > 0 else None,
    }


def rq_baseline(
    redis_url: str, n_jobs: int = 2000, modes: tuple[str, ...] = ("inprocess", "subprocess")
) -> dict[str, Any]:
    """Every requested way of running SimpleWorker, and the fastest jobs/s (worker wall time)."""
    runs = []
    for mode in modes:
        runner = rq_simpleworker_inprocess if mode == "inprocess" else rq_simpleworker_subprocess
        runs.append(runner(redis_url, n_jobs))
    best = max(runs, key=lambda run: run["jobs_per_s"])
    return {"runs": runs, "best_jobs_per_s": best["jobs_per_s"], "best_how": best["how"]}


# ---------------------------------------------------------------- the service, over HTTP
class _Client:
    """One keep-alive JSON client of the service."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        encoded = json.dumps(body) if body is not None else None
        headers = {"Content-Type": "application/json"} if encoded else {}
        self.conn.request(method, path, body=encoded, headers=headers)
        response = self.conn.getresponse()
        payload = response.read()
        return response.status, json.loads(payload) if payload else None

    def close(self) -> None:
        self.conn.close()


def _record_jobs_per_s(documents: list[dict[str, Any]]) -> float | None:
    """Jobs/s from the first started_at to the last finished_at on the records, if present."""
    try:
        first = min(datetime.fromisoformat(d["started_at"]) for d in documents)
        last = max(datetime.fromisoformat(d["finished_at"]) for d in documents)
    except (KeyError, TypeError, ValueError):
        return None
    span = (last - first).total_seconds()
    return round(len(documents) / span, 1) if span > 0 else None


def _redis_commands(redis_url: str | None) -> int | None:
    """Commands the Redis server has processed so far (None without a URL)."""
    if not redis_url:
        return None
    client = redis.Redis.from_url(redis_url)
    try:
        return int(client.info("stats")["total_commands_processed"])
    finally:
        client.close()


def measure_service_jobs(
    base_url: str,
    redis_url: str | None,
    n: int = 2000,
    *,
    body: Any = None,
    path: str = "/optimize",
    connections: int = 16,
    client_processes: int = 2,
    timeout_s: float = 120.0,
) -> dict[str, Any]:
    """Submit about n jobs over `connections` keep-alive clients in `client_processes` processes
    (a single Python process cannot submit as fast as the service accepts), then read each
    job's record once it is done.

    jobs/s = jobs / (first created_at .. last finished_at on the records): from the first job
    accepted to the last one finished. With redis_url, also Redis commands per job (every
    command the server processed meanwhile, the final status reads included).
    """
    from bench.http_load import post_json, run_load

    body = DEFAULT_BODY if body is None else body
    commands_before = _redis_commands(redis_url)
    submitted = run_load(
        base_url, post_json(path, body), connections=connections, processes=client_processes,
        duration_s=timeout_s, warmup_s=0.0, max_requests=n, collect_limit=n + connections,
    )  # fmt: skip
    run_ids = submitted.collected
    client, documents, errors = _Client(base_url), [], dict(submitted.errors)
    deadline = time.monotonic() + timeout_s
    try:
        for run_id in run_ids:
            while time.monotonic() < deadline:
                _, document = client.call("GET", f"{path}/{run_id}")
                if (document or {}).get("status") in ("complete", "failed", "expired"):
                    documents.append(document)
                    break
                time.sleep(0.01)
            else:
                errors[f"{run_id} not done before the deadline"] = 1
                break
    finally:
        client.close()
    commands_after = _redis_commands(redis_url)
    report: dict[str, Any] = {
        "jobs": len(run_ids),
        "done": sum(d["status"] == "complete" for d in documents),
        "failed": sum(d["status"] != "complete" for d in documents),
        "errors": errors,
        "submit_req_per_s": round(submitted.rps, 1),
        "jobs_per_s": 0.0,
    }
    if documents:
        first = min(datetime.fromisoformat(d["created_at"]) for d in documents)
        last = max(datetime.fromisoformat(d["finished_at"]) for d in documents)
        span = (last - first).total_seconds()
        report["wall_s"] = round(span, 3)
        report["jobs_per_s"] = round(len(documents) / span, 1) if span > 0 else 0.0
        report["record_jobs_per_s"] = _record_jobs_per_s(documents)
    if commands_before is not None and commands_after is not None and run_ids:
        report["redis_commands_per_job"] = round(
            (commands_after - commands_before) / len(run_ids), 1
        )
    return report


def _wait_not_pending(
    client: _Client, path: str, run_id: str, deadline: float
) -> tuple[float, dict]:
    """Poll as fast as one client can until the job leaves pending; (time seen, document)."""
    while time.monotonic() < deadline:
        _, document = client.call("GET", f"{path}/{run_id}")
        if (document or {}).get("status") not in (None, "pending"):
            return time.monotonic(), document
        time.sleep(0.0005)
    raise TimeoutError(f"{run_id} still pending")


def measure_submit_to_running(
    base_url: str,
    n: int = 100,
    *,
    body: Any = None,
    path: str = "/optimize",
    timeout_s: float = 30.0,
    gap_s: float = 0.02,
) -> dict[str, Any]:
    """Jobs sent one at a time to idle runners: how long each stays pending.

    From the records (created_at -> started_at) when the service gives both, and as the client
    sees it (POST sent -> first poll that is not pending; an upper bound, polls included).
    """
    body = DEFAULT_BODY if body is None else body
    deadline = time.monotonic() + timeout_s
    record_ms, client_ms = [], []
    client = _Client(base_url)
    try:
        for _ in range(n):
            if time.monotonic() >= deadline:
                break
            sent = time.monotonic()
            _, posted = client.call("POST", path, body)
            seen, document = _wait_not_pending(client, path, posted["run_id"], deadline)
            client_ms.append((seen - sent) * 1000)
            if document.get("created_at") and document.get("started_at"):
                created = datetime.fromisoformat(document["created_at"])
                started = datetime.fromisoformat(document["started_at"])
                record_ms.append((started - created).total_seconds() * 1000)
            time.sleep(gap_s)  # let the runners go idle again
    finally:
        client.close()
    return {
        "n": len(client_ms),
        "record_ms": _quantiles(record_ms),
        "client_ms": _quantiles(client_ms),
    }


def _quantiles(values: list[float]) -> dict[str, float] | None:
    """p50/p90/max of a sample, or None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return {
        "p50": round(statistics.median(ordered), 3),
        "p90": round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 3),
        "max": round(ordered[-1], 3),
    }


# ---------------------------------------------------------------- CLI
def main(argv: list[str] | None = None) -> int:
    """Measure RQ SimpleWorker on a private Redis (or --redis-url), optionally the service too."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--mode", choices=["inprocess", "subprocess", "both"], default="both")
    parser.add_argument("--redis-url", help="use this Redis instead of a private one")
    parser.add_argument("--service-url", help="also measure the service's no-op jobs at this URL")
    parser.add_argument("--service-redis-url", help="the service's Redis, for commands per job")
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args(argv)
    modes = ("inprocess", "subprocess") if args.mode == "both" else (args.mode,)
    report: dict[str, Any] = {}
    if args.redis_url:
        report["rq"] = rq_baseline(args.redis_url, args.jobs, modes)
    else:
        from bench.servers import start_redis

        with tempfile.TemporaryDirectory() as tmp, start_redis(Path(tmp)) as server:
            report["rq"] = rq_baseline(server.url, args.jobs, modes)
    if args.service_url:
        report["service"] = measure_service_jobs(
            args.service_url, args.service_redis_url, args.jobs
        )
    print(json.dumps(report, indent=2))
    if args.json_out:
        args.json_out.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
