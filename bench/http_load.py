"""A small closed-loop HTTP load generator: keep-alive connections spread over processes.

Each of `processes` processes runs `connections // processes` threads; each thread owns one
keep-alive http.client connection and sends requests back to back until the duration is over.
Processes, not only threads, so the client is not held back by one interpreter's lock.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import threading
import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class LoadResult:
    """Throughput and latency of one run."""

    requests: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def _worker(
    port: int,
    method: str,
    paths: list[str],
    body: bytes | None,
    threads: int,
    duration_s: float,
    out: multiprocessing.Queue,
) -> None:
    results: list[tuple[list[float], Counter]] = []

    def loop(offset: int) -> None:
        latencies: list[float] = []
        errors: Counter = Counter()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        headers = {"Content-Type": "application/json"} if body else {}
        deadline = time.monotonic() + duration_s
        i = offset
        while time.monotonic() < deadline:
            path = paths[i % len(paths)]
            i += 1
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status >= 400:
                    errors[str(response.status)] += 1
            except (OSError, http.client.HTTPException) as error:
                errors[type(error).__name__] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                continue
            latencies.append((time.perf_counter() - started) * 1000)
        conn.close()
        results.append((latencies, errors))

    pool = [threading.Thread(target=loop, args=(t * 7919,)) for t in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    latencies = [x for lat, _ in results for x in lat]
    errors: Counter = Counter()
    for _, e in results:
        errors.update(e)
    out.put((latencies, dict(errors)))


def run_load(
    port: int,
    method: str,
    paths: list[str],
    *,
    body: dict | None = None,
    connections: int = 16,
    processes: int = 2,
    duration_s: float = 8.0,
) -> LoadResult:
    """Run a closed loop of `connections` concurrent clients for `duration_s`."""
    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue = context.Queue()
    encoded = json.dumps(body).encode() if body is not None else None
    workers = [
        context.Process(
            target=_worker,
            args=(port, method, paths, encoded, connections // processes, duration_s, queue),
        )
        for _ in range(processes)
    ]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    result = LoadResult()
    for _ in workers:
        latencies, errors = queue.get(timeout=duration_s + 60)
        result.latencies_ms.extend(latencies)
        result.errors.update(errors)
    for worker in workers:
        worker.join(timeout=10)
    result.seconds = time.monotonic() - started
    result.requests = len(result.latencies_ms)
    return result
