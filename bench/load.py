"""The load generator: wrk when it is installed (apt-get install wrk), else `closed_loop`:
keep-alive clients in forked processes (so one interpreter lock does not cap the offered load),
each repeating a cycle (a request, or a whole job) back to back. Cycles ending inside the
counting window count; every loop is bounded by the window and each request's timeout.
"""

from __future__ import annotations

import http.client
import json
import math
import multiprocessing
import subprocess
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

TIMEOUT_S = 30.0
Samples = list[tuple[str, float]]  # (what, seconds) measured by one cycle


class Client:
    """One keep-alive HTTP/1.1 connection sending and receiving JSON."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT_S)

    def call(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, Any, float]:
        """(status, decoded JSON answer, seconds taken); `headers` go with the request."""
        started = time.perf_counter()
        sent = {"Content-Type": "application/json", **(headers or {})}
        self.conn.request(method, path, body=body, headers=sent)
        response = self.conn.getresponse()
        payload = response.read()
        return response.status, json.loads(payload) if payload else None, time.perf_counter() - started  # fmt: skip

    def close(self) -> None:
        self.conn.close()


@dataclass
class LoadResult:
    """Cycles counted inside one window or more, what they measured, errors by kind."""

    seconds: float
    cycles: int = 0
    samples: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    rates: list[float] = field(default_factory=list)  # of each window added

    @property
    def rate(self) -> float:
        return self.cycles / self.seconds if self.seconds else 0.0

    def ms(self, what: str, q: float) -> float:
        """Nearest-rank q-th percentile of `what`, in ms (nan without samples)."""
        values = sorted(self.samples.get(what, ()))
        rank = min(len(values), max(1, math.ceil(q / 100 * len(values))))
        return 1000 * values[rank - 1] if values else float("nan")

    def add(self, other: LoadResult, *, window: bool = False) -> None:
        """Pool `other` into this: another client of the same window, or another `window`."""
        if window:
            self.seconds += other.seconds
            self.rates.append(other.rate)
        self.cycles += other.cycles
        self.errors.update(other.errors)
        for what, values in other.samples.items():
            self.samples[what].extend(values)


def _client_thread(url: str, cycle: Callable, window: tuple, out: list) -> None:
    start_at, count_from, count_until = window
    result, client = LoadResult(count_until - count_from), Client(url)
    time.sleep(max(0.0, start_at - time.monotonic()))
    while time.monotonic() < count_until:
        try:
            samples = cycle(client)
        except Exception as error:  # counted and reported; the run goes on
            result.errors[f"{type(error).__name__}: {str(error)[:80]}"] += 1
            client.close()
            time.sleep(0.01)  # a refused connection must not spin
            continue
        if count_from <= time.monotonic() <= count_until:
            result.cycles += 1
            for what, seconds in samples:
                result.samples[what].append(seconds)
    client.close()
    out.append(result)


def _process_main(url: str, cycle: Callable, threads: int, window: tuple, queue: Any) -> None:
    results: list[LoadResult] = []
    workers = [threading.Thread(target=_client_thread, args=(url, cycle, window, results)) for _ in range(threads)]  # fmt: skip
    for worker in workers:
        worker.start()
    total = LoadResult(window[2] - window[1])
    for worker in workers:
        worker.join(timeout=window[2] - time.monotonic() + 2 * TIMEOUT_S)
    for result in results:
        total.add(result)
    queue.put(total)


def closed_loop(
    url: str, cycle: Callable[[Client], Samples], *, clients: int = 16, processes: int = 2,
    warmup_s: float = 1.0, seconds: float = 10.0,
) -> LoadResult:  # fmt: skip
    """Run `cycle` back to back in `clients` clients; counts what ends inside the window."""
    start_at = time.monotonic() + 0.5
    window = (start_at, start_at + warmup_s, start_at + warmup_s + seconds)
    context = multiprocessing.get_context("fork")  # the cycle closure is inherited, not pickled
    queue = context.Queue()
    shares = [clients // processes + (i < clients % processes) for i in range(processes)]
    children = [context.Process(target=_process_main, args=(url, cycle, n, window, queue)) for n in shares if n]  # fmt: skip
    for child in children:
        child.start()
    total = LoadResult(seconds)
    try:
        for _ in children:
            total.add(queue.get(timeout=window[2] - time.monotonic() + 3 * TIMEOUT_S))
    finally:
        for child in children:
            child.join(timeout=5)
            child.kill()
    return total


def request_cycle(
    method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> Callable[[Client], Samples]:
    """A cycle of one request (with `headers`); an answer of 400 or above is an error."""
    encoded = None if body is None else json.dumps(body).encode()

    def cycle(client: Client) -> Samples:
        status, _, seconds = client.call(method, path, encoded, headers)
        if status >= 400:
            raise RuntimeError(f"HTTP {status}")
        return [(f"{method} {path}", seconds)]

    return cycle


def wrk_run(
    url: str,
    seconds: float,
    connections: int,
    script: Path | None = None,
    headers: dict[str, str] | None = None,
) -> dict:
    """`wrk -t2 --latency` on one URL (with a Lua script for a POST, `headers` on every
    request): req/s, p50/p90/p99 ms."""
    args = wrk_args(url, seconds, connections, script, headers)
    done = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 30)
    return parse_wrk_output(done.stdout)


def wrk_args(
    url: str,
    seconds: float,
    connections: int,
    script: Path | None = None,
    headers: dict[str, str] | None = None,
) -> list[str]:
    """The wrk command line of `wrk_run` (wrk sends each -H header, the script's too)."""
    args = ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    args += ["-s", str(script)] if script else []
    for name, value in (headers or {}).items():
        args += ["-H", f"{name}: {value}"]
    return [*args, url]


def parse_wrk_output(out: str) -> dict[str, Any]:
    """req/s, p50/p90/p99 ms and error lines from what `wrk --latency` prints."""
    parsed: dict[str, Any] = {}
    for line in out.splitlines():
        words = line.split()
        if line.startswith("Requests/sec:"):
            parsed["rps"] = float(words[1])
        elif len(words) == 2 and words[0] in ("50%", "90%", "99%"):
            unit = next(u for u in ("us", "ms", "s") if words[1].endswith(u))
            parsed[f"p{words[0][:-1]}_ms"] = (
                float(words[1][: -len(unit)]) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
            )
        elif "Non-2xx" in line or "Socket errors" in line:
            parsed.setdefault("errors", []).append(line.strip())
    return parsed


def wrk_post_script(body: Any, path: Path) -> Path:
    """A wrk Lua script that POSTs `body` as JSON, in a Lua long string (taken verbatim: the
    LuaJIT in wrk knows no \\u escapes) whose brackets do not occur in the body."""
    text, level = json.dumps(body, ensure_ascii=False), 0
    while f"]{'=' * level}]" in text:
        level += 1
    equals = "=" * level
    path.write_text(f'wrk.method = "POST"\nwrk.body = [{equals}[{text}]{equals}]\n'
                    'wrk.headers["Content-Type"] = "application/json"\n')  # fmt: skip
    return path
