"""The service against its baselines, side by side in one run on this machine (loopback only).

One private redis-server; the bare app (bench/bare_app.py) and the service under gunicorn with
the same workers / worker class / threads / keep-alive; 16 closed-loop clients per endpoint.
Both servers stay up and the runs alternate bare / service (the order flips every round), so
noise from anything else on the machine lands on both sides of each ratio.

  endpoint              target
  POST /optimize        service >= 60% of bare req/s
  GET /optimize/<id>    service >= 70% of bare req/s
  GET /health           service >= 80% of bare req/s
  each of the three     service p99 < 25 ms at 16 clients
  no-op jobs            service end to end >= 2x RQ SimpleWorker jobs/s
  submit -> running     p50 <= 5 ms on idle runners

Usage:
  .venv/bin/python bench/http_bench.py --bare-only --json-out var/bench-http.json
  .venv/bin/python bench/http_bench.py --service-app 'tests.support.apps:create_noop_app()' \\
      --service-config gunicorn.conf.py --service-env LOG_FILE= --json-out var/bench-http.json
Options: --seconds/--rounds per endpoint, --client-sweep 1,2,4 (client saturation check on the
bare app), --wrk (the three endpoints again, alternating, with wrk: a load generator in C, so the
latency tail is not the Python clients'; apt-get install wrk), --paced 800 (latency of both apps
at a fixed offered load below saturation), --threads 1 (request threads per worker, both apps),
see --help.
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.http_load import (  # noqa: E402  (the repository root must be importable first)
    LoadResult,
    RequestSpec,
    format_row,
    get_path,
    get_rotating,
    post_json,
    run_load,
    seed_ids,
)
from bench.rq_baseline import measure_service_jobs, measure_submit_to_running, rq_baseline  # noqa: E402
from bench.servers import (  # noqa: E402
    ProcessHandle,
    StartError,
    free_port,
    machine_busy_cpu_seconds,
    start_gunicorn,
    start_redis,
)

BARE_APP = "bench.bare_app:create_bare_app()"
# A body the service accepts (player fields as its submit checks expect); the bare app ignores it.
DEFAULT_BODY: dict[str, Any] = {
    "slate_id": "bench",
    "n_scenarios": 0,
    "players": [
        {"id": f"p{i}", "name": f"Player {i}", "positions": ["QB"], "salary": 5000,
         "team": "AAA", "opponent": "BBB", "projection": 10.0 + i}
        for i in range(2)
    ],
}  # fmt: skip
ENDPOINTS = ("POST /optimize", "GET /optimize/<id>", "GET /health")
TARGETS = {"POST /optimize": 0.60, "GET /optimize/<id>": 0.70, "GET /health": 0.80}
P99_TARGET_MS = 25.0
OTHER_LOAD_WARNING = 20.0  # % of one core used by processes outside the benchmark


@dataclass
class App:
    """One server under test and what the runs collected from it."""

    name: str
    handle: ProcessHandle
    runs_jobs: bool = False  # POSTed jobs get executed (the service) or just stored (bare)
    ids: list[str] = field(default_factory=list)
    runs: dict[str, list[LoadResult]] = field(default_factory=dict)


# ---------------------------------------------------------------- arguments
def add_load_arguments(p: argparse.ArgumentParser) -> None:
    """Options of the closed-loop rounds and of the gunicorn servers they run against (what
    measure() and start_app() read), shared by the scripts that compare servers."""
    p.add_argument("--seconds", type=float, default=4.0, help="counting window of each run")
    p.add_argument("--warmup", type=float, default=1.0, help="ignored start of each run")
    p.add_argument("--rounds", type=int, default=3, help="alternations of the servers")
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--client-processes", type=int, default=2)
    p.add_argument("--client", choices=["raw", "httpclient"], default="raw")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--worker-class", default="gthread")
    p.add_argument("--keepalive", type=int, default=75)
    p.add_argument("--ready-path", default="/health", help="path that answers once a server is up")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description="Service vs bare Flask + Redis app, side by side.")
    add_load_arguments(p)
    p.add_argument(
        "--bare-config",
        default=None,
        help="gunicorn config of the bare app (default: --service-config, '' for gunicorn's defaults)",
    )
    p.add_argument("--bare-only", action="store_true")
    p.add_argument("--service-app", default="tests.support.apps:create_noop_app()")
    p.add_argument("--service-config", default="gunicorn.conf.py")
    p.add_argument("--service-env", action="append", default=[], metavar="KEY=VAL")
    p.add_argument("--body-file", type=Path, help="JSON body of POST /optimize")
    p.add_argument("--jobs", type=int, default=1000, help="service no-op jobs end to end (0: skip)")
    p.add_argument("--submit-to-running", type=int, default=50, help="single jobs timed (0: skip)")
    p.add_argument("--rq-jobs", type=int, default=1000, help="RQ SimpleWorker jobs (0: skip)")
    p.add_argument("--rq-modes", default="inprocess", help="inprocess,subprocess")
    p.add_argument("--client-sweep", default="", help="e.g. 1,2,4: client processes to compare")
    p.add_argument(
        "--wrk", action="store_true", help="also measure the endpoints with wrk (C load generator)"
    )
    p.add_argument(
        "--paced",
        type=float,
        default=0.0,
        help="also offer this many req/s in all (16 paced clients) to both apps: latency at a "
        "load below saturation (0: skip)",
    )
    p.add_argument("--json-out", type=Path)
    return p.parse_args(argv)


def parse_env(pairs: list[str]) -> dict[str, str]:
    """KEY=VAL strings to a dict (VAL may be empty)."""
    env = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--service-env wants KEY=VAL, got {pair!r}")
        env[key] = value
    return env


# ---------------------------------------------------------------- servers
def service_import_error(app_spec: str, env: dict[str, str]) -> str | None:
    """Why the service's module does not import (in a child, like gunicorn would), or None."""
    module = app_spec.split(":", 1)[0]
    code = "import importlib, sys; importlib.import_module(sys.argv[1])"
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, module], cwd=ROOT, capture_output=True, text=True,
            timeout=60, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **env},
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return f"importing {module} took over 60 s"
    return None if done.returncode == 0 else done.stderr.strip()[-1500:]


def start_app(
    args: argparse.Namespace, name: str, spec: str, env: dict, config: str | None, workdir: Path
) -> App:
    """One gunicorn app with the shared settings."""
    handle = start_gunicorn(
        spec, free_port(), env, workers=args.workers, threads=args.threads,
        worker_class=args.worker_class, config_file=config, keepalive=args.keepalive,
        log_path=workdir / f"{name}.log", ready_path=args.ready_path,
    )  # fmt: skip
    return App(name, handle)


def start_service(args: argparse.Namespace, env: dict, workdir: Path) -> App | None:
    """The service, or None (with the reason printed) when it cannot start."""
    problem = service_import_error(args.service_app, env)
    if problem:
        print(f"\n!! service skipped: {args.service_app} does not import:\n{problem}\n")
        return None
    try:
        app = start_app(args, "service", args.service_app, env, args.service_config, workdir)
        app.runs_jobs = True
        return app
    except StartError as error:
        print(f"\n!! service skipped: it did not start:\n{error}\n")
        return None


# ---------------------------------------------------------------- HTTP rounds
def spec_for(endpoint: str, app: App, body: Any) -> RequestSpec:
    """The request factory of one endpoint for one app (GETs rotate over its own run ids)."""
    if endpoint == "POST /optimize":
        return post_json("/optimize", body)
    if endpoint == "GET /health":
        return get_path("/health")
    if not app.ids:
        app.ids = seed_ids(app.handle.url, "/optimize", body, 200)
    return get_rotating("/optimize/", app.ids[:2000], label=endpoint)


def probes_for(app: App, redis_handle: ProcessHandle) -> dict[str, Callable[[], float]]:
    """CPU counters sampled at the edges of every counting window."""
    return {
        "server": app.handle.cpu_seconds,
        "redis": redis_handle.cpu_seconds,
        "machine": machine_busy_cpu_seconds,
    }


def measure(
    args: argparse.Namespace,
    app: App,
    endpoint: str,
    body: Any,
    redis_handle: ProcessHandle,
    processes: int | None = None,
    client: str | None = None,
    pace_s: float | None = None,
) -> LoadResult:
    """One bounded run of one endpoint against one app (closed loop, or paced when given)."""
    result = run_load(
        app.handle.url, spec_for(endpoint, app, body), connections=args.connections,
        processes=processes or args.client_processes, duration_s=args.seconds,
        warmup_s=args.warmup, client=client or args.client,
        cpu_probes=probes_for(app, redis_handle), pace_s=pace_s,
    )  # fmt: skip
    result.name = f"{app.name:7} {endpoint}"
    if endpoint == "POST /optimize":
        app.ids.extend(result.collected)
    return result


def wait_for_backlog(app: App, body: Any, timeout_s: float = 120.0) -> float:
    """Submit one more job and wait until it is done: the queue is FIFO, so the jobs the POST
    runs left behind are done too and their runners stop taking CPU from the next runs."""
    started = time.monotonic()
    (run_id,) = seed_ids(app.handle.url, "/optimize", body, 1)
    conn = http.client.HTTPConnection("127.0.0.1", app.handle.port, timeout=10)
    try:
        while time.monotonic() - started < timeout_s:
            conn.request("GET", f"/optimize/{run_id}")
            if json.loads(conn.getresponse().read()).get("status") in ("complete", "failed"):
                return time.monotonic() - started
            time.sleep(0.05)
    finally:
        conn.close()
    raise TimeoutError(f"{app.name}: job {run_id} not done after {timeout_s:.0f} s")


def http_rounds(
    args: argparse.Namespace,
    apps: list[App],
    body: Any,
    redis_handle: ProcessHandle,
    endpoints: tuple[str, ...] = ENDPOINTS,
) -> None:
    """Each endpoint, `rounds` times, alternating the apps (order flips every round)."""
    for endpoint in endpoints:
        for round_index in range(args.rounds):
            order = apps if round_index % 2 == 0 else apps[::-1]
            for app in order:
                result = measure(args, app, endpoint, body, redis_handle)
                app.runs.setdefault(endpoint, []).append(result)
                print(f"  {format_row(result)}", flush=True)
                if endpoint == "POST /optimize" and app.runs_jobs:
                    print(
                        f"  {app.name:7} backlog of that run done after {wait_for_backlog(app, body):.1f} s"
                    )


def merged(results: list[LoadResult]) -> LoadResult:
    """The rounds of one endpoint as one result (latencies pooled, time and CPU summed)."""
    out = LoadResult(
        results[0].name, results[0].connections, results[0].processes, results[0].client
    )
    for result in results:
        out.seconds += result.seconds
        out.cpu_window_s += result.cpu_window_s
        out.latencies_ms.extend(result.latencies_ms)
        out.errors.update(result.errors)
        for key, value in result.cpu_seconds.items():
            out.cpu_seconds[key] = out.cpu_seconds.get(key, 0.0) + value
    return out


def paired_ratio(bare: App, service: App, endpoint: str) -> float | None:
    """Median over the rounds of service / bare req/s, each pair measured back to back."""
    pairs = [
        s.rps / b.rps
        for b, s in zip(bare.runs[endpoint], service.runs[endpoint], strict=True)
        if b.rps
    ]
    return statistics.median(pairs) if pairs else None


def endpoint_summary(app: App, endpoint: str) -> dict[str, Any]:
    """Pooled numbers of one app on one endpoint, with the per-round req/s."""
    runs = app.runs[endpoint]
    summary = merged(runs).summary()
    summary["name"] = endpoint
    summary["rounds_rps"] = [round(r.rps, 1) for r in runs]
    return summary


# ---------------------------------------------------------------- client saturation, wrk
def client_sweep(
    args: argparse.Namespace, app: App, body: Any, redis_handle: ProcessHandle, counts: list[int]
) -> list[dict]:
    """The same 16 connections from 1, 2, 4... raw-client processes, and from http.client: if
    req/s grows with more or cheaper client processes, the client is the limit. Variants
    alternate within each round so other load on the machine hits them alike."""
    variants = [(count, "raw") for count in counts] + [(args.client_processes, "httpclient")]
    rows = []
    for endpoint in ("GET /health", "GET /optimize/<id>"):
        pooled: dict[tuple[int, str], list[LoadResult]] = {}
        for _ in range(args.rounds):
            for count, client in variants:
                result = measure(args, app, endpoint, body, redis_handle, count, client)
                pooled.setdefault((count, client), []).append(result)
        for (count, client), results in pooled.items():
            result = merged(results)
            result.name = f"{app.name} {endpoint} {count}p {client}"
            print(f"  {format_row(result)}")
            rows.append({**result.summary(), "client_processes": count, "client": client})
    return rows


def wrk_run(
    url: str, seconds: float, connections: int, script: Path | None = None
) -> dict[str, Any] | None:
    """wrk (2 threads) on one fixed URL, with an optional Lua script (e.g. a POST body): req/s
    and p50/p90/p99 ms, or None when wrk is not installed."""
    if not shutil.which("wrk"):
        return None
    args = ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    if script is not None:
        args += ["-s", str(script)]
    out = subprocess.run([*args, url], capture_output=True, text=True, timeout=seconds + 30).stdout
    return {"url": url, **parse_wrk_output(out)}


def parse_wrk_output(out: str) -> dict[str, Any]:
    """req/s, p50/p90/p99 ms and error lines from what `wrk --latency` prints."""
    parsed: dict[str, Any] = {}
    for line in out.splitlines():
        words = line.split()
        if line.startswith("Requests/sec:"):
            parsed["rps"] = float(words[1])
        elif len(words) == 2 and words[0] in ("50%", "90%", "99%"):
            parsed[f"p{words[0][:-1]}_ms"] = _wrk_ms(words[1])
        elif "Non-2xx" in line or "Socket errors" in line:
            parsed.setdefault("errors", []).append(line.strip())
    return parsed


def wrk_post_script(body: Any, path: Path) -> Path:
    """A wrk Lua script that POSTs `body` as JSON. The JSON goes into a Lua long string, which
    takes it verbatim (LuaJIT, which wrk embeds, knows no \\u escapes)."""
    text = json.dumps(body, ensure_ascii=False)
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    equals = "=" * level
    path.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = [{equals}[{text}]{equals}]\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
    )
    return path


def _wrk_ms(text: str) -> float:
    """wrk's '1.23ms' / '456.00us' / '1.02s' in ms."""
    for suffix, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    return float(text)


# ---------------------------------------------------------------- report
def print_table(apps: list[App]) -> dict[str, Any]:
    """The side-by-side table; returns the same numbers for the JSON report."""
    bare = apps[0]
    service = apps[1] if len(apps) > 1 else None
    print("\n== HTTP: 16 concurrent clients, req/s pooled over the rounds ==")
    print(f"{'endpoint':20} {'bare req/s':>10} {'svc req/s':>10} {'ratio':>6} {'paired':>6} {'target':>7}  "
          f"{'bare p50/p99 ms':>16}  {'svc p50/p99 ms':>16}  verdict")  # fmt: skip
    table: dict[str, Any] = {}
    nan = float("nan")
    for endpoint in ENDPOINTS:
        b = endpoint_summary(bare, endpoint)
        s = endpoint_summary(service, endpoint) if service else None
        ratio = s["rps"] / b["rps"] if s and b["rps"] else None
        paired = paired_ratio(bare, service, endpoint) if service else None
        verdict = "-" if ratio is None else _verdict(endpoint, ratio, s)
        print(
            f"{endpoint:20} {b['rps']:10.0f} {s['rps'] if s else nan:10.0f} "
            f"{ratio if ratio is not None else nan:6.2f} {paired if paired is not None else nan:6.2f} {TARGETS[endpoint]:>7.2f}  "
            f"{b['p50_ms']:7.2f}/{b['p99_ms']:<8.2f}  "
            f"{(s or {}).get('p50_ms', float('nan')):7.2f}/{(s or {}).get('p99_ms', float('nan')):<8.2f}  {verdict}"
        )
        table[endpoint] = {
            "bare": b, "service": s, "ratio": ratio, "paired_ratio": paired,
            "target": TARGETS[endpoint], "verdict": verdict,
        }  # fmt: skip
    worst_other = 0.0
    print(
        "\nCPU inside the windows, % of one core (2 cores = 200%; 'machine' includes other load):"
    )
    for endpoint in ENDPOINTS:
        for app in apps:
            cpu = endpoint_summary(app, endpoint)["cpu_percent"]
            print(
                f"  {app.name:7} {endpoint:20} "
                + "  ".join(f"{k} {v:5.0f}" for k, v in cpu.items())
            )
            worst_other = max(worst_other, cpu.get("other", 0.0))
    if worst_other > OTHER_LOAD_WARNING:
        print(f"!! other processes used up to {worst_other:.0f}% of a core during the runs: absolute "
              "numbers are disturbed; the alternating rounds keep the ratios comparable.")  # fmt: skip
    return table


def _verdict(endpoint: str, ratio: float, service: dict[str, Any]) -> str:
    """PASS/FAIL of the ratio target, and of p99 < 25 ms."""
    parts = ["ratio " + ("PASS" if ratio >= TARGETS[endpoint] else "FAIL")]
    parts.append("p99 " + ("PASS" if service["p99_ms"] < P99_TARGET_MS else "FAIL"))
    return ", ".join(parts)


def jobs_section(
    args: argparse.Namespace, service: App | None, redis_url: str, body: Any
) -> dict[str, Any]:
    """Submit -> running on idle runners, the service's no-op jobs end to end, RQ's SimpleWorker."""
    report: dict[str, Any] = {}
    if service and args.submit_to_running:
        report["submit_to_running"] = measure_submit_to_running(
            service.handle.url, args.submit_to_running, body=body
        )
    if service and args.jobs:
        report["service_jobs"] = measure_service_jobs(
            service.handle.url, redis_url, args.jobs, body=body
        )
    if args.rq_jobs:
        modes = tuple(m.strip() for m in args.rq_modes.split(",") if m.strip())
        report["rq"] = rq_baseline(redis_url, args.rq_jobs, modes)
    print("\n== jobs ==")
    if "submit_to_running" in report:
        s2r = report["submit_to_running"]
        print(
            f"submit -> running, {s2r['n']} single jobs: records {s2r['record_ms']}  client-seen {s2r['client_ms']}  (target p50 <= 5 ms)"
        )
    if "service_jobs" in report:
        print(f"service no-op jobs end to end: {report['service_jobs']}")
    if "rq" in report:
        for run in report["rq"]["runs"]:
            print(
                f"RQ SimpleWorker {run['how']}: {run['jobs_per_s']:.0f} jobs/s (worker wall {run['wall_s']} s; records {run['record_jobs_per_s']} jobs/s)"
            )
    if "rq" in report and "service_jobs" in report:
        ratio = report["service_jobs"]["jobs_per_s"] / report["rq"]["best_jobs_per_s"]
        report["jobs_ratio"] = ratio
        print(f"service / RQ: {ratio:.2f} (target >= 2)  {'PASS' if ratio >= 2 else 'FAIL'}")
    return report


# ---------------------------------------------------------------- main
def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Everything, with every process stopped on the way out."""
    body = json.loads(args.body_file.read_text()) if args.body_file else DEFAULT_BODY
    report: dict[str, Any] = {"settings": {k: str(v) for k, v in vars(args).items()}}
    redis_handle = start_redis(workdir / "redis")
    apps: list[App] = []
    try:
        env = {"REDIS_URL": redis_handle.url}
        # The same config file as the service by default: "the same gunicorn settings".
        bare_config = args.service_config if args.bare_config is None else args.bare_config
        apps.append(start_app(args, "bare", BARE_APP, env, bare_config or None, workdir))
        if not args.bare_only:
            service = start_service(args, {**env, **parse_env(args.service_env)}, workdir)
            if service:
                apps.append(service)
        started = time.monotonic()
        print(
            f"== {len(apps)} app(s), {args.rounds} x {args.seconds:.0f} s per endpoint, client: {args.client}, {args.client_processes} processes =="
        )
        if args.rounds:  # --rounds 0: the job figures only
            http_rounds(args, apps, body, redis_handle)
            report["http"] = print_table(apps)
        if args.client_sweep:
            print("\n== client saturation (bare app) ==")
            counts = [int(c) for c in args.client_sweep.split(",")]
            report["client_sweep"] = client_sweep(args, apps[0], body, redis_handle, counts)
        if args.wrk:
            for app in apps:  # GET rounds read each app's own jobs
                app.ids = app.ids or seed_ids(app.handle.url, "/optimize", body, 200)
            report["wrk"] = wrk_section(args, apps, body, workdir)
        if args.paced:
            report["paced"] = paced_section(args, apps, body, redis_handle)
        apps[0].handle.stop()  # the bare app is done; its CPU use must not touch the job runs
        service_app = apps[1] if len(apps) > 1 else None
        report["jobs"] = jobs_section(args, service_app, redis_handle.url, body)
        report["seconds"] = round(time.monotonic() - started, 1)
        report["errors_total"] = dict(
            sum((r.errors for a in apps for rs in a.runs.values() for r in rs), Counter())
        )
    finally:
        for app in apps:
            app.handle.stop()
        redis_handle.stop()
    return report


def paced_section(
    args: argparse.Namespace, apps: list[App], body: Any, redis_handle: ProcessHandle
) -> dict[str, Any]:
    """POST and GET status at a fixed offered load (args.paced req/s over the 16 clients, each
    sending on a fixed schedule, latency counted from the scheduled moment): the latency an
    operator sees below saturation, where closed-loop p99 mostly mirrors throughput."""
    pace_s = args.connections / args.paced
    print(f"\n== paced: {args.paced:.0f} req/s offered by {args.connections} clients ==")
    out: dict[str, Any] = {}
    for endpoint in ("POST /optimize", "GET /optimize/<id>"):
        pooled: dict[str, list[LoadResult]] = {}
        for round_index in range(args.rounds):
            for app in apps if round_index % 2 == 0 else apps[::-1]:
                result = measure(args, app, endpoint, body, redis_handle, pace_s=pace_s)
                pooled.setdefault(app.name, []).append(result)
                if endpoint == "POST /optimize" and app.runs_jobs:
                    wait_for_backlog(app, body)
        for name, results in pooled.items():
            result = merged(results)
            result.name = f"{name:7} {endpoint}"
            print(f"  {format_row(result)}")
            out[f"{name} {endpoint}"] = result.summary()
    return out


def wrk_section(
    args: argparse.Namespace, apps: list[App], body: Any, workdir: Path
) -> dict[str, Any]:
    """The three endpoints again with wrk, a load generator written in C, so the latency tail is
    not the Python clients' own: rounds alternate the apps as in the closed-loop runs; GETs use
    one fixed path (a status path of each app's own)."""
    if not shutil.which("wrk"):
        print("\n  wrk not installed (apt-get install -y wrk); skipped")
        return {}
    post = wrk_post_script(body, workdir / "post.lua")
    targets = {
        "POST /optimize": lambda app: (app.handle.url + "/optimize", post),
        "GET /optimize/<id>": lambda app: (f"{app.handle.url}/optimize/{app.ids[0]}", None),
        "GET /health": lambda app: (app.handle.url + "/health", None),
    }
    print(f"\n== wrk, 2 threads, {args.connections} connections, {args.rounds} rounds ==")
    out: dict[str, Any] = {}
    for endpoint, target in targets.items():
        runs: dict[str, list[dict[str, Any]]] = {app.name: [] for app in apps}
        for round_index in range(args.rounds):
            for app in apps if round_index % 2 == 0 else apps[::-1]:
                url, script = target(app)
                parsed = wrk_run(url, args.seconds, args.connections, script) or {}
                runs[app.name].append(parsed)
                print(f"  {app.name:7} {endpoint:20} {parsed.get('rps', 0):8.0f} req/s  "
                      f"p50 {parsed.get('p50_ms')}  p90 {parsed.get('p90_ms')}  p99 {parsed.get('p99_ms')} ms"
                      f"  {' '.join(parsed.get('errors', []))}")  # fmt: skip
                if endpoint == "POST /optimize" and app.runs_jobs:
                    wait_for_backlog(app, body)
        out[endpoint] = {name: _wrk_medians(results) for name, results in runs.items()}
    print("\n  medians over the rounds:")
    for endpoint, by_app in out.items():
        bare_rps = by_app[apps[0].name]["rps"]
        for name, medians in by_app.items():
            ratio = (
                f"  ratio {medians['rps'] / bare_rps:.2f}"
                if name != apps[0].name and bare_rps
                else ""
            )
            print(
                f"  {name:7} {endpoint:20} {medians['rps']:8.0f} req/s  p99 {medians['p99_ms']:6.2f} ms{ratio}"
            )
    return out


def _wrk_medians(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Median req/s and p99 of wrk rounds, with every round's figures."""
    rps = [r["rps"] for r in results if "rps" in r]
    p99 = [r["p99_ms"] for r in results if "p99_ms" in r]
    return {
        "rps": statistics.median(rps) if rps else 0.0,
        "p99_ms": statistics.median(p99) if p99 else float("nan"),
        "rounds": results,
    }


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    args = parse_args(argv)
    # SIGTERM unwinds like Ctrl-C, so the `finally` blocks stop every server this run started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="http-bench-") as tmp:
        try:
            report = run(args, Path(tmp))
        except StartError as error:
            print(f"!! could not start: {error}")
            return 1
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(report, indent=2, default=str))
        print(f"\nJSON written to {args.json_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
