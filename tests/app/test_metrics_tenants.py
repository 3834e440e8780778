"""GET /metrics with tenants: submitted and finished jobs counted by tenant name, never key."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

import pytest
from flask import Flask

from tests.conftest import valid_players
from webapp.jobs.extension import get_jobs
from webapp.jobs.maintenance import Maintenance
from webapp.jobs.reachability import Reachability
from webapp.jobs.record import JobRecord
from webapp.jobs.running import RunningJobs
from webapp.jobs.states import JobStatus
from webapp.observability.metrics.observers import JobMetrics
from webapp.tenants.auth import get_auth

BODY = {"slate_id": "noop", "players": valid_players()}


def _value(text: str, sample: str) -> float:
    """The value of one sample line (name with its labels exactly as exposed); 0 if absent."""
    match = re.search(rf"^{re.escape(sample)} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


@pytest.fixture
def keyed_app(make_app: Callable[..., Flask]) -> Flask:
    """The service with AUTH_MODE=api_key."""
    return make_app(auth_mode="api_key")


def test_submitted_and_cancelled_jobs_are_counted_by_tenant(keyed_app: Flask) -> None:
    """Each tenant's accepted and cancelled jobs count under its name; the key is nowhere."""
    client = keyed_app.test_client()
    keys = {name: get_auth(keyed_app).api_keys.create(name) for name in ("acme", "globex")}
    auth = {name: {"Authorization": f"Bearer {key}"} for name, key in keys.items()}
    acme_jobs = [client.post("/optimize", json=BODY, headers=auth["acme"]) for _ in range(2)]
    client.post("/optimize", json=BODY, headers=auth["globex"])
    cancelled = client.delete(f"/optimize/{acme_jobs[0].json['run_id']}", headers=auth["acme"])

    text = client.get("/metrics").get_data(as_text=True)

    assert cancelled.status_code == 200
    assert _value(text, 'webapp_tenant_jobs_submitted_total{tenant="acme"}') == 2
    assert _value(text, 'webapp_tenant_jobs_submitted_total{tenant="globex"}') == 1
    cancels = 'webapp_tenant_jobs_finished_total{status="cancelled",tenant="acme"}'
    assert _value(text, cancels) == 1
    assert _value(text, "webapp_jobs_submitted_total") == 3
    assert not any(key in text for key in keys.values())


def test_jobs_the_runner_ends_are_counted_by_their_tenant(keyed_app: Flask) -> None:
    """A job's outcome counts under its record's tenant; one without a tenant only globally."""
    events = get_jobs(keyed_app).runner.events
    assert isinstance(events, JobMetrics)
    store = get_jobs(keyed_app).store()
    auth = {"Authorization": f"Bearer {get_auth(keyed_app).api_keys.create('acme')}"}
    client = keyed_app.test_client()
    run_id = client.post("/optimize", json=BODY, headers=auth).json["run_id"]
    record = store.get(run_id)
    events.finished(record, "complete", 0.2)
    events.finished(record, "failed", 0.2)
    events.finished(
        JobRecord(run_id="x", kind="optimize", status=JobStatus.FAILED, input={}), "failed", 0.1
    )
    events.reclaimed("failed", "acme")

    text = client.get("/metrics").get_data(as_text=True)

    finished = "webapp_tenant_jobs_finished_total"
    assert _value(text, f'{finished}{{status="complete",tenant="acme"}}') == 1
    assert _value(text, f'{finished}{{status="failed",tenant="acme"}}') == 2
    assert _value(text, 'webapp_jobs_finished_total{status="failed"}') == 3


def test_a_job_recovery_fails_is_counted_by_its_tenant(keyed_app: Flask) -> None:
    """A job whose last attempt's lease ran out counts as failed under its record's tenant."""
    jobs = get_jobs(keyed_app)
    store = jobs.store()
    auth = {"Authorization": f"Bearer {get_auth(keyed_app).api_keys.create('acme')}"}
    client = keyed_app.test_client()
    run_id = client.post("/optimize", json=BODY, headers=auth).json["run_id"]
    store.claim_next("gone:1")
    store.redis.hset(store.keys.job(run_id), "failed_attempts", store.max_attempts - 1)
    store.redis.zadd(store.keys.leases, {run_id: 0})  # its process died long ago
    recovery = Maintenance(
        lambda: store,
        Reachability(1.0, clock=itertools.count(0.0, 10.0).__next__),  # steady at once
        RunningJobs(),
        owner="here:1",
        lease_seconds=1.0,
        recovery_scan_seconds=60.0,
        events=jobs.runner.events,
    )

    recovery.recover_if_due()

    text = client.get("/metrics").get_data(as_text=True)
    assert store.get(run_id).status == JobStatus.FAILED
    assert _value(text, 'webapp_tenant_jobs_finished_total{status="failed",tenant="acme"}') == 1
