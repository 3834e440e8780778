"""The service at an earlier revision against the working tree, with the bare app, in one run.

Both services run the no-op job kind under the same gunicorn settings (each with its own
gunicorn.conf.py) on one private Redis, beside the bare Flask + Redis app (bench/bare_app.py);
rounds alternate over the three (the order flips every round), so machine noise lands on all
of them. After each POST round the servers get a pause to run the jobs that round queued.
The earlier revision is checked out with `git worktree` into a temp dir (removed at the end) and
uses this checkout's .venv.

Usage:
  .venv/bin/python bench/compare_revisions.py --base a1b8ab1 --endpoint post --rounds 5
  .venv/bin/python bench/compare_revisions.py --base HEAD~3 --endpoint get --seconds 4
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.http_bench import merged  # noqa: E402
from bench.http_load import (  # noqa: E402
    LoadResult,
    format_row,
    get_rotating,
    post_json,
    run_load,
    seed_ids,
)
from bench.servers import free_port, start_gunicorn, start_redis  # noqa: E402
from bench.service_bench import BODY  # noqa: E402

SERVICE_APP = "tests.support.apps:create_noop_app()"
BARE_APP = "bench.bare_app:create_bare_app()"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--base", required=True, help="the earlier revision (any git rev)")
    parser.add_argument("--endpoint", choices=("post", "get"), default="post")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        base_tree = tmp / "base"
        subprocess.run(
            [
                "git",
                "-C",
                str(ROOT),
                "worktree",
                "add",
                "-q",
                "--detach",
                str(base_tree),
                args.base,
            ],
            check=True,
        )
        redis = start_redis(tmp)
        servers = {}
        try:
            apps = {
                "bare": (BARE_APP, ROOT),
                f"service {args.base}": (SERVICE_APP, base_tree),
                "service now": (SERVICE_APP, ROOT),
            }
            for index, (label, (app, tree)) in enumerate(apps.items()):
                env = {
                    "REDIS_URL": redis.url,
                    "LOG_FILE": "",
                    "PYTHONPATH": str(tree),
                    "REDIS_KEY_PREFIX": f"cmp{index}",
                    "BARE_KEY_PREFIX": "cmpbare:",
                }
                servers[label] = start_gunicorn(
                    app,
                    free_port(),
                    env,
                    config_file=tree / "gunicorn.conf.py",
                    log_path=tmp / f"server{index}.log",
                )
            specs = {}
            for label, server in servers.items():
                if args.endpoint == "post":
                    specs[label] = post_json("/optimize", BODY, collect=None)
                else:
                    ids = seed_ids(server.url, "/optimize", BODY, 100)
                    specs[label] = get_rotating("/optimize/", ids)
                run_load(server.url, specs[label], duration_s=1.0)  # warm up
            runs: dict[str, list[LoadResult]] = {label: [] for label in servers}
            for round_ in range(args.rounds):
                order = list(servers) if round_ % 2 == 0 else list(reversed(servers))
                for label in order:
                    result = run_load(servers[label].url, specs[label], duration_s=args.seconds)
                    runs[label].append(result)
                    print(f"  round {round_ + 1} {label:22} {format_row(result)}", flush=True)
                    time.sleep(2.0 if args.endpoint == "post" else 0.2)
        finally:
            for server in servers.values():
                server.stop()
            redis.stop()
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base_tree)],
                check=False,
            )
    bare = statistics.median(r.rps for r in runs["bare"])
    print(f"\n== {args.endpoint.upper()} /optimize, 16 clients, median of {args.rounds} rounds ==")
    for label, results in runs.items():
        median = statistics.median(r.rps for r in results)
        print(
            f"  {label:22} {median:7.0f} req/s  {median / bare:.3f} of bare  "
            f"p99 {merged(results).percentile(99):6.1f} ms (rounds pooled)"
        )


if __name__ == "__main__":
    main()
