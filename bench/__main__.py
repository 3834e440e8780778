"""python -m bench <subcommand>: the service's benchmarks, on loopback, with private servers.

  jobs       the same job API served by this service, Flask + Celery and Flask + RQ, side by
             side in alternating rounds (needs `pip install celery rq`, benchmark-only)
  http       HTTP req/s and latency of the service's endpoints (wrk when installed)
  shutdown   SIGTERM to exit when idle, a drain past its deadline, recovery after kill -9
  soak       mixed traffic on two instances while one is killed and the other drained

Every subcommand starts its own redis-server and gunicorn processes and stops them at the end.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
from pathlib import Path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    jobs = commands.add_parser(
        "jobs", help="service vs Flask + Celery vs Flask + RQ (pip install celery rq)"
    )
    jobs.add_argument("--systems", default="service,celery,rq")
    jobs.add_argument(
        "--kinds", default="noop,optimize", help="noop, optimize (20 lineups, 76 players)"
    )
    jobs.add_argument("--rounds", type=int, default=3)
    jobs.add_argument("--seconds", type=float, default=10.0, help="counting window of a no-op run")
    jobs.add_argument(
        "--optimize-seconds", type=float, default=20.0, help="counting window of an optimize run"
    )
    jobs.add_argument("--warmup", type=float, default=2.0)
    jobs.add_argument("--clients", type=int, default=16)
    jobs.add_argument("--client-processes", type=int, default=2)
    jobs.add_argument(
        "--web-workers", type=int, default=2, help="gunicorn processes of each system"
    )
    jobs.add_argument("--threads", type=int, default=8, help="request threads per gunicorn process")
    jobs.add_argument("--slots", type=int, default=4, help="jobs each system runs at once")
    http = commands.add_parser(
        "http", help="req/s and latency of POST /optimize, GET status, GET /health"
    )
    http.add_argument("--seconds", type=float, default=5.0)
    http.add_argument("--connections", type=int, default=16)
    http.add_argument(
        "--python-client", action="store_true", help="the Python client even if wrk is installed"
    )
    shutdown = commands.add_parser("shutdown", help="shutdown, drain and recovery timings")
    shutdown.add_argument("--rounds", type=int, default=3)
    soak = commands.add_parser("soak", help="mixed traffic with a kill -9 and a drain")
    soak.add_argument("--minutes", type=float, default=2.0)
    soak.add_argument("--clients", type=int, default=8)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM unwinds like Ctrl-C, so every `finally` stops the servers this run started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        if args.command == "jobs":
            from bench.compare import run
        elif args.command == "http":
            from bench.http import run
        elif args.command == "shutdown":
            from bench.ops import shutdown as run
        else:
            from bench.ops import soak as run
        run(args, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
