"""RQ's SimpleWorker on no-op jobs: the baseline for job throughput (bench-only: pip install rq).

Enqueue N no-op jobs, then time a burst SimpleWorker processing all of them in this process.
"""

from __future__ import annotations

import time

import redis


def rq_jobs_per_second(redis_url: str, n_jobs: int = 2000) -> float:
    """Jobs per second of one SimpleWorker draining n_jobs no-op jobs."""
    from rq import Queue, SimpleWorker

    from bench.noop_tasks import noop

    connection = redis.Redis.from_url(redis_url)
    queue = Queue("bench-noop", connection=connection)
    queue.empty()
    with connection.pipeline() as pipe:
        for _ in range(n_jobs):
            queue.enqueue(noop, pipeline=pipe)
        pipe.execute()
    worker = SimpleWorker([queue], connection=connection)
    started = time.perf_counter()
    worker.work(burst=True, logging_level="WARNING")
    elapsed = time.perf_counter() - started
    connection.close()
    return n_jobs / elapsed
