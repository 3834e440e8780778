"""Status changes made from outside an attempt (a client's cancel, an operator's retry), on the
shared real Redis."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import replace

import pytest
import redis
from flask import Flask

from tests.conftest import close_app, valid_players
from tests.support.kinds import scripted_kinds
from webapp import create_app
from webapp.config import Settings
from webapp.jobs import service
from webapp.jobs.errors import TransitionRefusedError
from webapp.jobs.extension import get_jobs
from webapp.jobs.store import JobStore

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"
AUTH = {"Authorization": "Basic " + base64.b64encode(f"admin:{PASSWORD}".encode()).decode()}


@pytest.fixture
def admin_app(settings: Settings, real_redis: redis.Redis) -> Iterator[Flask]:
    """The service with its dashboard on, on the shared real Redis; runner not started."""
    app = create_app(replace(settings, admin_password=PASSWORD), kinds=scripted_kinds())
    yield app
    close_app(app)


@pytest.fixture
def store(admin_app: Flask) -> JobStore:
    return get_jobs(admin_app).store()


def _submit(store: JobStore) -> str:
    job_input = {"slate_id": "noop", "players": valid_players()}
    return service.submit(store, job_input).run_id


def test_a_retried_job_keeps_no_error_code(store: JobStore) -> None:
    """An operator's retry of a failed job clears its error and its error_code."""
    run_id = _submit(store)
    claim = store.claim_next("host:1")
    assert claim is not None
    store.fail(run_id, claim.token, "scripted failure", "job_failed")

    record = store.retry_failed(run_id)

    assert (record.status, record.error, record.error_code) == ("pending", None, None)


def test_a_cancelled_job_cannot_be_retried(store: JobStore) -> None:
    """The client cancelled it: an operator's retry is refused and the job stays cancelled."""
    run_id = _submit(store)
    store.cancel(run_id, "cancelled by the client")

    with pytest.raises(TransitionRefusedError):
        store.retry_failed(run_id)

    assert store.get(run_id).error_code == "cancelled"


def test_the_dashboard_offers_no_retry_for_a_cancelled_job(
    admin_app: Flask, store: JobStore
) -> None:
    """The job page of a client-cancelled job has no requeue form; a failed one has."""
    cancelled, failed = _submit(store), _submit(store)
    store.cancel(cancelled, "cancelled by the client")
    claim = store.claim_next("host:1")
    assert claim is not None and claim.record.run_id == failed
    store.fail(failed, claim.token, "scripted failure")
    client = admin_app.test_client()

    pages = {
        run_id: client.get(f"/admin/jobs/{run_id}", headers=AUTH).get_data(as_text=True)
        for run_id in (cancelled, failed)
    }

    assert 'id="requeue"' not in pages[cancelled]
    assert 'id="requeue"' in pages[failed]
