"""The service under several settings, and the bare app, side by side in one run.

Each variant is `name=KEY=VAL,KEY=VAL...` (environment of that server; `THREADS=N` sets its
gunicorn request threads) or `bare` for the baseline app. Every server gets its own key prefix on
one private Redis, so one variant's queued jobs are never run by another. Rounds alternate the
order of the variants, as in http_bench.py, and each service round waits for its backlog of jobs.

Usage:
  .venv/bin/python bench/variants.py --endpoint post --rounds 6 bare service= \\
      jobs1=JOB_WORKERS=1 nice0=JOB_THREAD_NICE=0 threads4=THREADS=4
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.http_bench import (
    BARE_APP,
    DEFAULT_BODY,
    App,
    add_load_arguments,
    http_rounds,
    merged,
    start_app,
)
from bench.http_load import format_row
from bench.servers import start_redis

ENDPOINTS = {"post": "POST /optimize", "get": "GET /optimize/<id>", "health": "GET /health"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options (the load and gunicorn ones are http_bench.py's)."""
    p = argparse.ArgumentParser(description="Service settings side by side, one Redis.")
    p.add_argument("variants", nargs="+", help="bare | name=KEY=VAL,KEY=VAL (empty: defaults)")
    p.add_argument("--endpoint", choices=sorted(ENDPOINTS), default="post")
    add_load_arguments(p)
    p.add_argument("--service-app", default="tests.support.apps:create_noop_app()")
    p.add_argument("--config", default="gunicorn.conf.py")
    return p.parse_args(argv)


def parse_variant(text: str) -> tuple[str, dict[str, str]]:
    """`name=K=V,K=V` as (name, settings); `bare` as ("bare", {})."""
    name, _, rest = text.partition("=")
    settings = {}
    for pair in filter(None, rest.split(",")):
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"variant {name}: {pair!r} is not KEY=VAL")
        settings[key] = value
    return name, settings


def start_variant(args: argparse.Namespace, text: str, redis_url: str, workdir: Path) -> App:
    """One server: the bare app or the service with the variant's settings."""
    name, settings = parse_variant(text)
    server_args = copy.copy(args)
    server_args.threads = int(settings.pop("THREADS", args.threads))
    env = {"REDIS_URL": redis_url, "LOG_FILE": "", "REDIS_KEY_PREFIX": name,
           "BARE_KEY_PREFIX": f"{name}:", **settings}  # fmt: skip
    spec = BARE_APP if name == "bare" else args.service_app
    app = start_app(server_args, name, spec, env, args.config, workdir)
    app.runs_jobs = name != "bare"
    return app


def main(argv: list[str] | None = None) -> int:
    """Run the rounds and print each variant's pooled figures."""
    args = parse_args(argv)
    endpoint = ENDPOINTS[args.endpoint]
    with tempfile.TemporaryDirectory(prefix="variants-") as tmp:
        workdir = Path(tmp)
        redis_handle = start_redis(workdir / "redis")
        apps: list[App] = []
        try:
            for variant in args.variants:  # one by one: a failed start still stops the rest
                apps.append(start_variant(args, variant, redis_handle.url, workdir))
            http_rounds(args, apps, DEFAULT_BODY, redis_handle, endpoints=(endpoint,))
            print(f"\n== {endpoint}, {args.rounds} rounds pooled ==")
            baseline_rps = merged(apps[0].runs[endpoint]).rps
            for app in apps:
                pooled = merged(app.runs[endpoint])
                pooled.name = app.name
                ratio = pooled.rps / baseline_rps if baseline_rps else float("nan")
                print(f"{format_row(pooled)}  vs {apps[0].name} {ratio:.2f}")
        finally:
            for app in apps:
                app.handle.stop()
            redis_handle.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
