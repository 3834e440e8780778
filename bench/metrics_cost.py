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
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _per_request_us(work, calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        work()
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
    from flask import Response

    from webapp import create_app
    from webapp.config import Settings
    from webapp.observability.metrics.extension import METRICS
    from webapp.observability.metrics.observers import RequestMetrics

    apps = {name: create_app(Settings(log_file="", access_log=False, metrics_enabled=on, redis_url=args.redis_url,
                                      redis_key_prefix="bench-metrics"))
            for name, on in (("metrics off", False), ("metrics on", True))}  # fmt: skip
    gets = {name: partial(app.test_client().get, args.path) for name, app in apps.items()}
    for get in gets.values():
        _per_request_us(get, 200)  # warm up
    times: dict[str, list[float]] = {name: [] for name in gets}
    for index in range(args.rounds):
        for name in list(gets) if index % 2 == 0 else reversed(gets):
            times[name].append(_per_request_us(gets[name], args.requests))
    # The machine is shared: the fastest round of each is the least disturbed measurement.
    off, on = (min(times[n]) for n in ("metrics off", "metrics on"))
    print(f"GET {args.path}, {args.rounds} alternating rounds of {args.requests} requests")
    for name, values in times.items():
        print(f"  {name:12} best {min(values):7.1f} median {statistics.median(values):7.1f} us/request "
              f"({', '.join(f'{v:.1f}' for v in values)})")  # fmt: skip
    print(f"  whole request: metrics cost {on - off:+.1f} us/request, ratio on/off {on / off:.3f}")
    # The metrics' before+after hooks alone, per request.
    app = apps["metrics on"]
    hooks, response = RequestMetrics(METRICS.lookup(app).instruments), Response("{}", 200)
    with app.test_request_context(args.path):
        alone = [_per_request_us(lambda: (hooks.started(), hooks.finished(response)), args.requests)
                 for _ in range(args.rounds)]  # fmt: skip
    print(f"  hooks alone: best {min(alone):.1f} median {statistics.median(alone):.1f} us/request")


if __name__ == "__main__":
    main()
