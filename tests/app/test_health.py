"""/health and /ready on fakeredis: shapes, statuses, caching, single flight."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from webapp.health import checks
from webapp.runtime.lifecycle import drain_flag


def test_health_is_liveness_only(client: FlaskClient) -> None:
    """/health answers 200 in application/health+json with identity and uptime."""
    response = client.get("/health")

    assert response.status_code == 200
    assert response.content_type == "application/health+json"
    body = response.json
    assert body["status"] == "pass" and body["version"] and body["serviceId"]
    assert body["time"].endswith("Z") and body["uptimeSeconds"] >= 0


def test_health_touches_no_dependency(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """/health stays 200 even when every dependency check would blow up."""

    def explode(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("/health must not call a dependency")

    monkeypatch.setattr(checks, "check_redis", explode)
    monkeypatch.setattr(checks, "check_jobs", explode)

    assert client.get("/health").status_code == 200


def test_ready_reports_each_check(client: FlaskClient) -> None:
    """/ready lists every check keyed component:measurement, in the health+json format."""
    response = client.get("/ready")

    body = response.json
    assert response.content_type == "application/health+json"
    assert {
        "redis:responseTime",
        "neo4j:responseTime",
        "jobs:queueDepth",
        "jobs:running",
        "jobs:oldestPendingAge",
        "executor:utilization",
    } <= body["checks"].keys()
    redis_entry = body["checks"]["redis:responseTime"][0]
    assert redis_entry["status"] == "pass" and redis_entry["observedUnit"] == "ms"
    assert body["lifecycle"] == "ready" and body["serviceId"]


def test_unconfigured_neo4j_warns_without_failing(client: FlaskClient) -> None:
    """Without NEO4J_URI the neo4j entry warns 'not configured' and readiness stays 200."""
    response = client.get("/ready")

    entry = response.json["checks"]["neo4j:responseTime"][0]
    assert response.status_code == 200
    assert entry["status"] == "warn" and "not configured" in entry["output"]


def test_draining_instance_is_not_ready(app: Flask, client: FlaskClient) -> None:
    """With the drain flag set, /ready is 503 with lifecycle 'draining'; /health stays 200."""
    flag = drain_flag(app)
    flag.CACHE_S = 0
    flag.set()

    ready = client.get("/ready")

    assert ready.status_code == 503
    assert ready.json["lifecycle"] == "draining" and ready.json["status"] == "fail"
    assert client.get("/health").status_code == 200


def test_long_queue_warns_but_never_fails(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A big, old queue turns the jobs entries to warn; readiness stays 200."""
    from webapp.jobs.store import QueueStats

    monkeypatch.setattr(
        "webapp.jobs.store.JobStore.queue_stats",
        lambda self: QueueStats(pending=10_000, running=4, oldest_pending_age_s=3600.0),
    )

    response = client.get("/ready")

    assert response.status_code == 200
    assert response.json["checks"]["jobs:oldestPendingAge"][0]["status"] == "warn"
    assert response.json["checks"]["jobs:queueDepth"][0]["observedValue"] == 10_000


def test_hung_check_is_bounded_and_single_flight(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hanging check fails after the timeout; concurrent probes share one in-flight call."""
    release = threading.Event()
    calls = []

    def hanging(*_args: object, **_kwargs: object) -> checks.Checks:
        calls.append(1)
        release.wait(10)
        return {}

    monkeypatch.setattr(checks, "check_redis", hanging)
    app = make_app(ready_check_timeout_s=0.5, ready_cache_seconds=0.0)
    results = []

    def probe() -> None:
        with app.test_client() as c:
            started = time.monotonic()
            response = c.get("/ready")
            results.append((response.status_code, time.monotonic() - started, response.json))

    threads = [threading.Thread(target=probe) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    release.set()

    assert len(calls) == 1
    assert all(status == 503 for status, _, _ in results) and len(results) == 20
    assert max(took for _, took, _ in results) < 1.5
    entry = results[0][2]["checks"]["redis:responseTime"][0]
    assert entry["status"] == "fail" and "no answer within 0.5 s" in entry["output"]


def test_fresh_results_are_served_from_cache(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Within READY_CACHE_SECONDS a second probe reuses the first one's dependency checks."""
    real = checks.check_redis
    calls = []

    def counting(*args: object, **kwargs: object) -> checks.Checks:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(checks, "check_redis", counting)
    app = make_app(ready_cache_seconds=5.0)
    client = app.test_client()

    first = client.get("/ready").json
    second = client.get("/ready").json

    assert len(calls) == 1
    assert first["checks"]["redis:responseTime"] == second["checks"]["redis:responseTime"]
