"""python -m bench <subcommand>: the service's benchmarks, on loopback, with private servers.

  jobs       the same job API served by this service, Flask + Celery and Flask + RQ, side by
             side in alternating rounds (needs `pip install celery rq`: benchmark-only)
  http       HTTP req/s and latency of the service's endpoints (wrk when installed), under
             one AUTH_MODE or several side by side (--auth-modes none,api_key)
  shutdown   SIGTERM to exit when idle, a drain past its deadline, recovery after kill -9
  soak       mixed traffic on two instances while one is killed and the other drained
  compute    what a job's compute in a child process costs over running it on the job thread
  contest    a contest simulation: 150 lineups against a 100,000-entry field, 10,000 sims

Every subcommand but contest starts its own redis-server and gunicorn processes and stops them
at the end.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import tempfile
from pathlib import Path

COMMANDS = {  # subcommand: (function, [(option, default, help)])
    "jobs": ("bench.compare:run", [
        ("--systems", "service,celery,rq", "any of service, celery, rq"),
        ("--kinds", "noop,optimize", "noop, optimize (20 exact lineups, 76-player NFL slate)"),
        ("--rounds", 3, "rounds; each rotates the order of the systems"),
        ("--seconds", 10.0, "counting window of a no-op run"),
        ("--optimize-seconds", 20.0, "counting window of an optimize run"),
        ("--warmup", 2.0, "seconds ignored at the start of each run"),
        ("--clients", 16, "closed-loop clients"), ("--client-processes", 2, "processes they run in"),
        ("--web-workers", 2, "gunicorn processes of each system"),
        ("--threads", 8, "request threads per gunicorn process"),
        ("--slots", 4, "jobs each system runs at once"),
        ("--service-env", [], "KEY=VALUE setting of the service (repeatable)")]),
    "http": ("bench.service:http", [
        ("--seconds", 5.0, "per endpoint"), ("--connections", 16, "keep-alive connections"),
        ("--python-client", False, "the Python client even when wrk is installed"),
        ("--auth-modes", "none", "AUTH_MODE of each server, side by side: none, api_key "
                                 "(a key made for it, sent as Authorization: Bearer)"),
        ("--rounds", 1, "rounds; each measures every server, the order rotating")]),
    "shutdown": ("bench.service:shutdown", [("--rounds", 3, "rounds of each timing")]),
    "soak": ("bench.service:soak", [("--minutes", 2.0, "duration"), ("--clients", 8, "client threads")]),
    "compute": ("bench.compute_cost:run", [("--rounds", 15, "jobs timed per figure")]),
    "contest": ("bench.contest_bench:run", [
        ("--lineups", 150, "our lineups (exact optimizer, max_exposure 0.5)"),
        ("--field", 100_000, "entries of the contest"), ("--sims", 10_000, "sims"),
        ("--optimal-sims", 500, "sims solved for optimal_pct"), ("--seed", 1, "seed"),
        ("--repeat", 1, "runs, each in a fresh subprocess")]),
}  # fmt: skip


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        "python -m bench", description=__doc__, formatter_class=formatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for command, (_, options) in COMMANDS.items():
        sub = commands.add_parser(command, description=__doc__, formatter_class=formatter)
        for option, default, text in options:
            if isinstance(default, bool):
                sub.add_argument(option, action="store_true", help=text)
            elif isinstance(default, list):
                sub.add_argument(option, action="append", default=[], help=text)
            else:
                sub.add_argument(option, type=type(default), default=default, help=f"{text} (default {default})")  # fmt: skip
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM unwinds like Ctrl-C, so every `finally` stops the servers this run started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    module, function = COMMANDS[args.command][0].split(":")
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        getattr(importlib.import_module(module), function)(args, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
