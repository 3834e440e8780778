"""The baseline: a bare Flask + Redis app doing the least a job API can do.

POST /optimize parses the JSON body and writes one pipelined HSET + EXPIRE; GET /optimize/<id>
does one HGETALL; GET /health returns a constant. One ConnectionPool per process, built on first
use so that it is created after gunicorn forks the worker.
Run: .venv/bin/gunicorn --workers 2 --threads 8 --worker-class gthread 'bench.bare_app:create_bare_app()'
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid

import redis
from flask import Flask, jsonify, request

JOB_TTL_SECONDS = 604800  # a week, as the service keeps a job record


class _PerProcessClient:
    """A redis client whose pool belongs to the current process (rebuilt after a fork)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.pid = -1
        self.client: redis.Redis | None = None
        self.lock = threading.Lock()

    def get(self) -> redis.Redis:
        """The client of this process, built on first use."""
        if self.pid != os.getpid():
            with self.lock:
                if self.pid != os.getpid():
                    pool = redis.ConnectionPool.from_url(self.url)
                    self.client = redis.Redis(connection_pool=pool)
                    self.pid = os.getpid()
        return self.client  # type: ignore[return-value]


def create_bare_app() -> Flask:
    """The baseline app; Redis URL from REDIS_URL, key prefix from BARE_KEY_PREFIX."""
    app = Flask(__name__)
    redis_client = _PerProcessClient(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    prefix = os.environ.get("BARE_KEY_PREFIX", "")

    @app.post("/optimize")
    def submit():
        body = request.get_json()
        run_id = uuid.uuid4().hex
        key = f"{prefix}job:{run_id}"
        fields = {
            "status": "pending",
            "kind": "optimize",
            "created_at": f"{time.time():.6f}",
            "input": json.dumps(body),
        }
        with redis_client.get().pipeline(transaction=False) as pipe:
            pipe.hset(key, mapping=fields)
            pipe.expire(key, JOB_TTL_SECONDS)
            pipe.execute()
        return jsonify({"run_id": run_id, "status": "pending"}), 202

    @app.get("/optimize/<run_id>")
    def status(run_id: str):
        raw = redis_client.get().hgetall(f"{prefix}job:{run_id}")
        if not raw:
            return jsonify({"error": "not found"}), 404
        document = {k.decode(): v.decode() for k, v in raw.items() if k != b"input"}
        return jsonify({"run_id": run_id, **document})

    @app.get("/health")
    def health():
        return jsonify({"status": "pass"})

    return app
