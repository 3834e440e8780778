"""HTTP req/s and latency of the service's endpoints at N keep-alive connections.

The service as deployed (gunicorn.conf.py: 2 gthread workers x 8 threads) on a private Redis,
its jobs no-ops, so POSTs measure accepting a job (and running a no-op one) rather than the
optimizer. With wrk installed (apt-get install wrk) it generates the load; otherwise the
closed-loop Python clients of bench.load, whose own CPU shares the machine's cores.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from bench.harness import GunicornServer, RedisServer
from bench.load import Client, closed_loop, request_cycle, wrk_post_script, wrk_run
from bench.work import noop_body

NAN = float("nan")


def measure(url: str, method: str, path: str, args: Any, workdir: Path) -> dict[str, Any]:
    """req/s, p50, p99 (ms) of one endpoint."""
    if shutil.which("wrk") and not args.python_client:
        script = wrk_post_script(noop_body(), workdir / "post.lua") if method == "POST" else None
        return {"tool": "wrk", **wrk_run(url + path, args.seconds, args.connections, script)}
    result = closed_loop(url, request_cycle(method, path, noop_body() if method == "POST" else None),
                         clients=args.connections, seconds=args.seconds)  # fmt: skip
    name = f"{method} {path}"
    return {"tool": "python", "rps": result.rate, "p50_ms": result.ms(name, 50),
            "p99_ms": result.ms(name, 99), "errors": dict(result.errors)}  # fmt: skip


def run(args: Any, workdir: Path) -> None:
    redis_server = RedisServer(workdir, appendonly=False).start()
    env = {"REDIS_URL": redis_server.url}
    server = GunicornServer(workdir, env, app="bench.work:create_service_app()", workers=2)
    try:
        server.start(timeout_s=60)
        client = Client(server.url)
        _, document, _ = client.call("POST", "/optimize", json.dumps(noop_body()).encode())
        client.close()
        endpoints = [("POST /optimize", "POST", "/optimize"), ("GET /health", "GET", "/health"),
                     ("GET /optimize/<id>", "GET", f"/optimize/{document['run_id']}")]  # fmt: skip
        print(
            f"service, 2 gunicorn workers x 8 threads, {args.connections} connections, {args.seconds:g} s each"
        )
        for label, method, path in endpoints:
            figures = measure(server.url, method, path, args, workdir)
            print(f"  {label:20} {figures.get('rps', 0):8.0f} req/s  p50 {figures.get('p50_ms', NAN):6.2f} ms  "
                  f"p99 {figures.get('p99_ms', NAN):6.2f} ms  ({figures['tool']}) {figures.get('errors') or ''}")  # fmt: skip
    finally:
        server.stop()
        redis_server.kill()
