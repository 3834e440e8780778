"""A small closed-loop HTTP load generator: keep-alive connections spread over client processes.

`connections` clients are spread over `processes` forked processes, one thread and one keep-alive
connection per client; each client sends its next request as soon as the previous answer is in.
Processes, not only threads, so one interpreter lock does not cap the offered load.

The default "raw" client writes prebuilt request bytes to a socket and reads the answer by its
Content-Length (or chunks): about a quarter of the CPU per request of http.client, whose header
parsing is costly. With client and server sharing two cores, client CPU is server CPU lost.

Every run starts all clients at one instant, ignores a warm-up, then counts answers that arrive
inside a window of `duration_s` (or until `max_requests`), so runs are bounded in time and count.

CLI: .venv/bin/python -m bench.http_load --url http://127.0.0.1:8000 --mode health --seconds 5
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import multiprocessing
import os
import queue
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

CONNECT_TIMEOUT_S = 10.0


# ---------------------------------------------------------------- request factories
@dataclass(frozen=True)
class RequestSpec:
    """What each request of a run sends; paths rotate; `collect` names a JSON field to keep."""

    method: str
    paths: tuple[str, ...]
    body: bytes | None = None
    collect: str | None = None
    label: str = ""

    @property
    def name(self) -> str:
        return self.label or f"{self.method} {self.paths[0]}"


def post_json(path: str, body: Any, collect: str | None = "run_id") -> RequestSpec:
    """POST one JSON body to `path`; keeps the `collect` field of the answers (ids for GETs)."""
    return RequestSpec("POST", (path,), json.dumps(body).encode(), collect, f"POST {path}")


def get_rotating(prefix: str, ids: Sequence[str], label: str | None = None) -> RequestSpec:
    """GET prefix + id, cycling through `ids` (e.g. run ids from earlier POST answers)."""
    if not ids:
        raise ValueError("no ids to GET")
    return RequestSpec(
        "GET", tuple(f"{prefix}{i}" for i in ids), label=label or f"GET {prefix}<id>"
    )


def get_path(path: str) -> RequestSpec:
    """GET one fixed path (e.g. /health)."""
    return RequestSpec("GET", (path,), label=f"GET {path}")


def encode_request(spec: RequestSpec, path: str, host: str, port: int) -> bytes:
    """The bytes of one HTTP/1.1 keep-alive request."""
    lines = [f"{spec.method} {path} HTTP/1.1", f"Host: {host}:{port}", "Accept: */*"]
    if spec.body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(spec.body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (spec.body or b"")


# ---------------------------------------------------------------- clients
class RawConnection:
    """One keep-alive HTTP/1.1 connection over a plain socket, for prebuilt requests."""

    def __init__(self, host: str, port: int) -> None:
        self.address = (host, port)
        self.sock: socket.socket | None = None
        self.buffer = b""

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock, self.buffer = None, b""

    def exchange(self, request: bytes, _path: str = "") -> tuple[int, bytes]:
        """Send one request; return (status, body) of its answer."""
        if self.sock is None:
            self.sock = socket.create_connection(self.address, timeout=CONNECT_TIMEOUT_S)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.sendall(request)
        head = self._read_until(b"\r\n\r\n")
        status = int(head[9:12])
        lowered = head.lower()
        length = _header_value(lowered, b"content-length")
        if length is not None:
            body = self._read_exact(int(length))
        elif _header_value(lowered, b"transfer-encoding") == b"chunked":
            body = self._read_chunked()
        else:
            raise http.client.HTTPException("answer without length")
        if _header_value(lowered, b"connection") == b"close":
            self.close()
        return status, body

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)  # type: ignore[union-attr]
        if not chunk:
            raise ConnectionResetError("server closed the connection")
        self.buffer += chunk

    def _read_until(self, separator: bytes) -> bytes:
        while (index := self.buffer.find(separator)) < 0:
            self._fill()
        data, self.buffer = self.buffer[:index], self.buffer[index + len(separator) :]
        return data

    def _read_exact(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self._fill()
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def _read_chunked(self) -> bytes:
        parts = []
        while size := int(self._read_until(b"\r\n").split(b";")[0], 16):
            parts.append(self._read_exact(size))
            self._read_until(b"\r\n")
        self._read_until(b"\r\n")  # no trailers are expected
        return b"".join(parts)


def _header_value(lowered_head: bytes, name: bytes) -> bytes | None:
    """The value of header `name` in a lowercased response head, or None."""
    start = lowered_head.find(b"\r\n" + name + b":")
    if start < 0:
        return None
    start += len(name) + 3
    end = lowered_head.find(b"\r\n", start)
    return lowered_head[start : end if end >= 0 else None].strip()


class StdlibConnection:
    """The same interface over http.client, to compare client costs."""

    def __init__(self, host: str, port: int, spec: RequestSpec) -> None:
        self.host, self.port, self.spec = host, port, spec
        self.conn: http.client.HTTPConnection | None = None
        self.headers = {"Content-Type": "application/json"} if spec.body is not None else {}

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.conn = None

    def exchange(self, _request: bytes, path: str) -> tuple[int, bytes]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=CONNECT_TIMEOUT_S)
        self.conn.request(self.spec.method, path, body=self.spec.body, headers=self.headers)
        response = self.conn.getresponse()
        return response.status, response.read()


# ---------------------------------------------------------------- one client thread
@dataclass
class Window:
    """When clients start, when counting starts and ends (time.monotonic, shared by processes)."""

    start_at: float
    count_from: float
    count_until: float
    max_requests_per_client: int | None = None
    # Paced clients send one request every pace_s seconds on a fixed schedule (None: closed
    # loop); latency counts from the scheduled moment, so a stalled server is not hidden.
    pace_s: float | None = None


@dataclass
class ClientStats:
    """What one client thread saw inside the window."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    collected: list[str] = field(default_factory=list)
    last_done: float = 0.0


def _run_client(
    connection: RawConnection | StdlibConnection,
    spec: RequestSpec,
    requests: list[bytes],
    window: Window,
    offset: int,
    collect_limit: int,
) -> ClientStats:
    """Send requests back to back until the window closes; count answers inside it."""
    stats = ClientStats()
    sent = offset
    try:  # connect (and warm the path) before the start, so every client starts at once
        connection.exchange(requests[offset % len(requests)], spec.paths[offset % len(spec.paths)])
    except (OSError, http.client.HTTPException, ValueError):
        connection.close()
    _sleep_until(window.start_at)
    cap = window.max_requests_per_client
    pace = window.pace_s
    next_at = window.start_at + (pace * (offset % 1000) / 1000 if pace else 0.0)
    while (now := time.monotonic()) < window.count_until and (
        cap is None or len(stats.latencies_ms) < cap
    ):
        if pace:
            _sleep_until(next_at)
            now, next_at = next_at, next_at + pace
        index = sent % len(requests)
        sent += 1
        try:
            status, body = connection.exchange(requests[index], spec.paths[index])
        except (OSError, http.client.HTTPException, ValueError) as error:
            connection.close()
            if time.monotonic() >= window.count_from:
                stats.errors[type(error).__name__] += 1
            time.sleep(0.01)  # a refused connect must not spin
            continue
        done = time.monotonic()
        if done < window.count_from:
            continue
        if status >= 400:
            stats.errors[f"HTTP {status}"] += 1
            continue
        stats.latencies_ms.append((done - now) * 1000)
        stats.last_done = done
        if spec.collect and len(stats.collected) < collect_limit:
            stats.collected.append(json.loads(body)[spec.collect])
    connection.close()
    return stats


def _sleep_until(moment: float) -> None:
    delay = moment - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def _process_main(
    host: str,
    port: int,
    spec: RequestSpec,
    clients: int,
    first_offset: int,
    window: Window,
    client_kind: str,
    collect_limit: int,
    out: multiprocessing.Queue,
) -> None:
    """One client process: `clients` threads; reports stats and its CPU time inside the window."""
    requests = [encode_request(spec, path, host, port) for path in spec.paths]
    results: list[ClientStats] = []

    def thread_main(offset: int) -> None:
        connection = (
            RawConnection(host, port)
            if client_kind == "raw"
            else StdlibConnection(host, port, spec)
        )
        results.append(_run_client(connection, spec, requests, window, offset, collect_limit))

    threads = [
        threading.Thread(target=thread_main, args=(first_offset + 7919 * i,), daemon=True)
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    _sleep_until(window.count_from)
    cpu_start = sum(os.times()[:2])
    for thread in threads:
        thread.join(timeout=max(0.0, window.count_until - time.monotonic()) + CONNECT_TIMEOUT_S + 5)
    out.put((results, sum(os.times()[:2]) - cpu_start))


# ---------------------------------------------------------------- a run
@dataclass
class LoadResult:
    """Throughput, latency and errors of one run, and CPU seconds used inside its window."""

    name: str
    connections: int
    processes: int
    client: str
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    errors: Counter = field(default_factory=Counter)
    collected: list[str] = field(default_factory=list, repr=False)
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    cpu_window_s: float = 0.0

    @property
    def ok(self) -> int:
        return len(self.latencies_ms)

    @property
    def rps(self) -> float:
        """Successful answers per second."""
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile of successful latencies, in ms."""
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        rank = max(1, math.ceil(q / 100 * len(ordered)))
        return ordered[min(rank, len(ordered)) - 1]

    def cpu_percent(self) -> dict[str, float]:
        """CPU use inside the window, in percent of one core; with a "machine" probe, "other" is
        what the rest of the machine used (load that is not this benchmark)."""
        if not self.cpu_window_s:
            return {}
        percent = {k: 100 * v / self.cpu_window_s for k, v in self.cpu_seconds.items()}
        if "machine" in percent:
            ours = sum(v for k, v in percent.items() if k != "machine")
            percent["other"] = max(0.0, percent["machine"] - ours)
        return percent

    def summary(self) -> dict[str, Any]:
        """A JSON-ready digest (no raw latencies)."""
        return {
            "name": self.name,
            "connections": self.connections,
            "processes": self.processes,
            "client": self.client,
            "seconds": round(self.seconds, 3),
            "ok": self.ok,
            "rps": round(self.rps, 1),
            "p50_ms": round(self.percentile(50), 3),
            "p90_ms": round(self.percentile(90), 3),
            "p99_ms": round(self.percentile(99), 3),
            "max_ms": round(max(self.latencies_ms, default=float("nan")), 3),
            "errors": dict(self.errors),
            "cpu_percent": {k: round(v, 1) for k, v in self.cpu_percent().items()},
        }


def _split(total: int, parts: int) -> list[int]:
    """`total` spread over `parts` as evenly as possible."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def run_load(
    url: str,
    spec: RequestSpec,
    *,
    connections: int = 16,
    processes: int = 2,
    duration_s: float = 10.0,
    warmup_s: float = 1.0,
    max_requests: int | None = None,
    client: str = "raw",
    collect_limit: int = 2000,
    cpu_probes: dict[str, Callable[[], float]] | None = None,
    pace_s: float | None = None,
) -> LoadResult:
    """Run `connections` clients over `processes` processes against `url`: closed loop, or
    each sending one request every `pace_s` seconds when given.

    cpu_probes: name -> cumulative CPU seconds of something (e.g. the server's process group),
    sampled at the edges of the counting window.
    """
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    processes = max(1, min(processes, connections))
    start_at = time.monotonic() + 0.3 + 0.05 * processes  # time for every fork to connect
    window = Window(start_at, start_at + warmup_s, start_at + warmup_s + duration_s, pace_s=pace_s)
    if max_requests is not None:
        window.max_requests_per_client = max(1, -(-max_requests // connections))
    result = LoadResult(spec.name, connections, processes, client)
    context = multiprocessing.get_context("fork")
    out: multiprocessing.Queue = context.Queue()
    per_process = _split(connections, processes)
    limit = -(-collect_limit // connections)
    children = [
        context.Process(
            target=_process_main,
            args=(host, port, spec, n, 131 * i, window, client, limit, out),
            daemon=True,
        )
        for i, n in enumerate(per_process)
    ]
    try:
        for child in children:
            child.start()
        probes = cpu_probes or {}
        _sleep_until(window.count_from)
        before = {name: probe() for name, probe in probes.items()}
        if max_requests is None:
            _sleep_until(window.count_until)
            after, cpu_until = {name: probe() for name, probe in probes.items()}, time.monotonic()
        reports = [
            out.get(timeout=max(0.0, window.count_until - time.monotonic()) + 30) for _ in children
        ]
        if max_requests is not None:  # the clients stop early: sample when the last one is done
            after, cpu_until = {name: probe() for name, probe in probes.items()}, time.monotonic()
        client_cpu, last_done = 0.0, 0.0
        for stats, cpu in reports:
            client_cpu += cpu
            for one in stats:
                result.latencies_ms.extend(one.latencies_ms)
                result.errors.update(one.errors)
                result.collected.extend(one.collected)
                last_done = max(last_done, one.last_done)
    except queue.Empty as error:
        _kill(children)
        raise RuntimeError(f"a client process of {spec.name} did not report") from error
    except BaseException:  # Ctrl-C / SIGTERM: the clients must not outlive the run
        _kill(children)
        raise
    for child in children:
        child.join(timeout=5)
    _kill(children)
    result.seconds = duration_s
    if max_requests is not None and last_done:
        result.seconds = min(duration_s, last_done - window.count_from)
    result.cpu_seconds = {"client": client_cpu, **{k: after[k] - before[k] for k in probes}}
    result.cpu_window_s = cpu_until - window.count_from
    return result


def _kill(children: list[multiprocessing.Process]) -> None:
    """SIGKILL and reap every client process still alive."""
    for child in children:
        if child.pid is None:  # never started
            continue
        if child.is_alive():
            child.kill()
        child.join(timeout=5)


# ---------------------------------------------------------------- helpers
def seed_ids(url: str, path: str, body: Any, count: int, field_name: str = "run_id") -> list[str]:
    """POST `count` bodies one by one and return the `field_name` of each answer."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=CONNECT_TIMEOUT_S)
    encoded, ids = json.dumps(body), []
    try:
        for _ in range(count):
            conn.request("POST", path, body=encoded, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            payload = response.read()
            if response.status >= 400:
                raise RuntimeError(
                    f"seeding POST {path} answered {response.status}: {payload[:300]!r}"
                )
            ids.append(json.loads(payload)[field_name])
    finally:
        conn.close()
    return ids


def format_row(result: LoadResult) -> str:
    """One line: name, req/s, latency percentiles, errors, CPU."""
    cpu = " ".join(f"{k} {v:.0f}%" for k, v in result.cpu_percent().items())
    errors = sum(result.errors.values())
    return (
        f"{result.name:24} {result.rps:8.0f} req/s  p50 {result.percentile(50):6.2f}  "
        f"p90 {result.percentile(90):6.2f}  p99 {result.percentile(99):6.2f} ms  "
        f"errors {errors:<4d} cpu[{cpu}]"
    )


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Closed-loop HTTP load against one endpoint.")
    parser.add_argument("--url", required=True, help="base URL, e.g. http://127.0.0.1:8000")
    parser.add_argument("--mode", choices=["health", "path", "post", "get"], default="health")
    parser.add_argument(
        "--path", default=None, help="path for --mode path/post (default /optimize)"
    )
    parser.add_argument("--body", default='{"slate_id": "bench", "players": []}', help="JSON body")
    parser.add_argument("--body-file", type=Path, help="JSON body from a file")
    parser.add_argument("--seed", type=int, default=200, help="ids POSTed first for --mode get")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--max-requests", type=int, default=None)
    parser.add_argument("--client", choices=["raw", "httpclient"], default="raw")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    args = _parse_args(argv)
    body = json.loads(args.body_file.read_text() if args.body_file else args.body)
    if args.mode == "health":
        spec = get_path(args.path or "/health")
    elif args.mode == "path":
        spec = get_path(args.path or "/")
    elif args.mode == "post":
        spec = post_json(args.path or "/optimize", body)
    else:
        path = args.path or "/optimize"
        spec = get_rotating(f"{path}/", seed_ids(args.url, path, body, args.seed))
    result = run_load(
        args.url, spec, connections=args.connections, processes=args.processes,
        duration_s=args.seconds, warmup_s=args.warmup, max_requests=args.max_requests,
        client=args.client,
    )  # fmt: skip
    print(json.dumps(result.summary(), indent=2) if args.json else format_row(result))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.exit(main())
