"""What the metrics cost per request: the app with and without METRICS_ENABLED, side by side.

In-process (no sockets, no gunicorn), so the difference is the metrics' own work: the
before/after_request hooks, one counter and one histogram observation per request, in
prometheus-client's multiprocess mode (mmap'd files, as under gunicorn). Rounds alternate the
two apps. The access log is off in both, so its cost does not dilute the difference.

Usage: .venv/bin/python bench/metrics_cost.py [--requests 5000] [--rounds 6] [--path /health]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _app(metrics: bool, redis_url: str):
    from webapp import create_app
    from webapp.config import Settings

    settings = Settings(
        log_file="",
        access_log=False,
        metrics_enabled=metrics,
        redis_url=redis_url,
        redis_key_prefix="bench-metrics",
    )
    return create_app(settings)


def _round(client, path: str, requests: int) -> float:
    """Microseconds per request."""
    started = time.perf_counter()
    for _ in range(requests):
        client.get(path)
    return (time.perf_counter() - started) / requests * 1e6


def _hooks_alone(app, path: str, calls: int) -> float:
    """Microseconds the metrics' before+after hooks take per request, measured alone."""
    from flask import Response

    from webapp.observability.metrics.extension import EXTENSION_KEY
    from webapp.observability.metrics.observers import RequestMetrics

    hooks = RequestMetrics(app.extensions[EXTENSION_KEY].instruments)
    response = Response("{}", 200)
    with app.test_request_context(path):
        started = time.perf_counter()
        for _ in range(calls):
            hooks.started()
            hooks.finished(response)
        return (time.perf_counter() - started) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--path", default="/health")
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    args = parser.parse_args()
    # Multiprocess mode, as under gunicorn: must be set before prometheus-client is imported.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="bench-metrics-")
    clients = {
        "metrics off": _app(False, args.redis_url).test_client(),
        "metrics on": _app(True, args.redis_url).test_client(),
    }
    for client in clients.values():
        _round(client, args.path, 200)  # warm up
    times: dict[str, list[float]] = {name: [] for name in clients}
    for index in range(args.rounds):
        order = list(clients) if index % 2 == 0 else list(reversed(clients))
        for name in order:
            times[name].append(_round(clients[name], args.path, args.requests))
    # The machine is shared: the fastest round of each is the least disturbed measurement.
    off, on = (min(times[n]) for n in ("metrics off", "metrics on"))
    print(f"GET {args.path}, {args.rounds} alternating rounds of {args.requests} requests")
    for name, values in times.items():
        shown = ", ".join(f"{v:.1f}" for v in values)
        print(
            f"  {name:12} best {min(values):7.1f} median {statistics.median(values):7.1f} us/request ({shown})"
        )
    print(f"  whole request: metrics cost {on - off:+.1f} us/request, ratio on/off {on / off:.3f}")
    app = clients["metrics on"].application
    alone = [_hooks_alone(app, args.path, args.requests) for _ in range(args.rounds)]
    print(f"  hooks alone: best {min(alone):.1f} median {statistics.median(alone):.1f} us/request")


if __name__ == "__main__":
    main()
