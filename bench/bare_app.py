"""The baseline: a bare Flask + Redis app doing the least a job API can do.

POST /optimize parses the JSON body and writes one pipelined HSET + EXPIRE; GET /optimize/<id>
does one HGETALL; GET /health returns a constant. One pool per process, built after the fork.
Run: gunicorn -c gunicorn.conf.py 'bench.bare_app:create_bare_app()'
"""

from __future__ import annotations

import json
import os
import uuid

import redis
from flask import Flask, jsonify, request


def create_bare_app() -> Flask:
    app = Flask(__name__)
    state: dict[str, object] = {}

    def client() -> redis.Redis:
        if state.get("pid") != os.getpid():
            state["client"] = redis.Redis.from_url(
                os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
            )
            state["pid"] = os.getpid()
        return state["client"]  # type: ignore[return-value]

    @app.post("/optimize")
    def submit():
        body = request.get_json()
        run_id = uuid.uuid4().hex
        with client().pipeline(transaction=False) as pipe:
            pipe.hset(
                f"bare:job:{run_id}", mapping={"status": "pending", "input": json.dumps(body)}
            )
            pipe.expire(f"bare:job:{run_id}", 604800)
            pipe.execute()
        return jsonify({"run_id": run_id, "status": "pending"}), 202

    @app.get("/optimize/<run_id>")
    def status(run_id: str):
        raw = client().hgetall(f"bare:job:{run_id}")
        if not raw:
            return jsonify({"error": "not found"}), 404
        return jsonify({k.decode(): v.decode() for k, v in raw.items()})

    @app.get("/health")
    def health():
        return jsonify({"status": "pass"})

    return app
