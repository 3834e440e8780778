"""Redis round trips per request and bytes per stored job.

Usage: .venv/bin/python bench/storage_bench.py [--redis-url redis://127.0.0.1:6379/15]

Round trips are counted on the client (each packed command or pipeline sent is one) while the
Flask test client serves a submit, a status read and a result read against a real Redis, and
while the job runner (2 executor threads) works through 200 queued no-op jobs. Bytes
per job are Redis' own MEMORY USAGE of the job's keys for a 500-player input, with large fields
compressed (as stored) and, for comparison, stored as plain JSON.
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from webapp import create_app
from webapp.config import Settings
from webapp.jobs import record as record_module
from webapp.jobs.extension import get_jobs
from webapp.jobs.kinds import JobKinds


def players(count: int, seed: int = 1) -> list[dict]:
    """A realistic-looking player list (NFL positions, DraftKings salaries)."""
    rng = random.Random(seed)
    positions = ["QB", "RB", "WR", "TE", "DST"]
    teams = [f"T{i:02d}" for i in range(24)]
    out = []
    for i in range(count):
        team = rng.choice(teams)
        out.append(
            {
                "id": f"{1000000 + i}",
                "name": f"Player Number {i}",
                "positions": [rng.choice(positions)],
                "salary": rng.randrange(3000, 9500, 100),
                "team": team,
                "opponent": rng.choice([t for t in teams if t != team]),
                "projection": round(rng.uniform(2, 28), 2),
                "stdev": round(rng.uniform(2, 9), 2),
            }
        )
    return out


@contextmanager
def count_round_trips(thread_prefix: str = ""):
    """Count what the client sends: one per command or pipeline (only from threads whose names
    start with thread_prefix)."""
    counter = {"n": 0}
    lock = threading.Lock()  # the runner's threads send too
    original = redis.Connection.send_packed_command

    def counting(self, command, check_health=True):
        if threading.current_thread().name.startswith(thread_prefix):
            with lock:
                counter["n"] += 1
        return original(self, command, check_health)

    with mock.patch.object(redis.Connection, "send_packed_command", counting):
        yield counter


def run_queued_jobs(app, store, count: int) -> float:
    """Queue `count` no-op jobs, let the app's runner work through them; round trips per job
    sent by the runner's threads (claims, final writes, the dispatcher's wake-up waits, lease
    renewals), not by this function polling for the end."""
    body = {"slate_id": "bench", "n_scenarios": 0, "players": players(2)}
    client = app.test_client()
    run_ids = [client.post("/optimize", json=body).json["run_id"] for _ in range(count)]
    runner = get_jobs(app).runner
    with count_round_trips("job-") as sent:
        runner.start()
        deadline = time.monotonic() + 60
        while store.get(run_ids[-1]).status.value != "complete" and time.monotonic() < deadline:
            time.sleep(0.01)
        runner.stop_accepting()
        done = sent["n"]
    runner.shutdown()
    return done / count


def memory_of_job(client: redis.Redis, prefix: str, run_id: str) -> int:
    keys = [f"{prefix}:job:{run_id}", f"{prefix}:tomb:{run_id}"]
    return sum(client.memory_usage(k, samples=0) or 0 for k in keys)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    args = parser.parse_args()
    prefix = f"bench{uuid.uuid4().hex[:6]}"
    kinds = JobKinds()
    kinds.register("optimize", lambda job_input, context: {"lineups": []})
    settings = Settings(
        redis_url=args.redis_url, redis_key_prefix=prefix, log_file="", log_level="WARNING"
    )
    app = create_app(settings, kinds=kinds)
    client = app.test_client()
    body = {"slate_id": "bench", "n_scenarios": 0, "players": players(500)}
    direct = redis.Redis.from_url(args.redis_url)
    try:
        client.post("/optimize", json=body)  # warm up: scripts loaded, pool connected
        with count_round_trips() as submit:
            run_id = client.post("/optimize", json=body).json["run_id"]
        with count_round_trips() as status:
            client.get(f"/optimize/{run_id}")
        compressed = memory_of_job(direct, prefix, run_id)
        store = get_jobs(app).store()
        claim = store.claim_next("bench")
        store.complete(claim.record.run_id, claim.attempt, {"lineups": []})
        claim = store.claim_next("bench")
        store.complete(claim.record.run_id, claim.attempt, {"lineups": []})
        with count_round_trips() as result:
            client.get(f"/optimize/{run_id}/result")
        with mock.patch.object(record_module, "COMPRESS_MIN_BYTES", 10**12):
            plain_id = client.post("/optimize", json=body).json["run_id"]
        plain = memory_of_job(direct, prefix, plain_id)
        direct.delete(f"{prefix}:queue:pending")  # the plain job is not run
        runs = run_queued_jobs(app, store, 200)
        print(
            f"Redis round trips: submit {submit['n']}, status {status['n']}, result {result['n']};"
            f" running a queued job {runs:.2f} (200 no-op jobs, 2 executor threads)"
        )
        print("bytes per pending job, 500-player input (record + tombstone, MEMORY USAGE):")
        print(
            f"  compressed input: {compressed:,} B   plain JSON: {plain:,} B"
            f"   ratio {plain / compressed:.2f}x"
        )
    finally:
        for key in direct.scan_iter(f"{prefix}:*"):
            direct.delete(key)


if __name__ == "__main__":
    main()
