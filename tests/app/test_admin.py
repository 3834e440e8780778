"""The /admin/ dashboard over plain HTTP: off by default, Basic auth, CSRF, headers, pages."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from webapp.admin.views import CSRF
from webapp.jobs import service
from webapp.jobs.extension import get_jobs
from webapp.jobs.store import JobStore

PASSWORD = "correct horse battery"
GOOD = {"Authorization": "Basic " + base64.b64encode(f"admin:{PASSWORD}".encode()).decode()}
PLAYERS = [
    {"id": f"p{i}", "name": f"Player Number{i}", "positions": ["QB"], "salary": 5000 + i,
     "team": "BUF", "opponent": "MIA", "projection": 10.0 + i}
    for i in range(3)
]  # fmt: skip


@pytest.fixture
def admin_app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(admin_password=PASSWORD)


@pytest.fixture
def admin_client(admin_app: Flask) -> FlaskClient:
    return admin_app.test_client()


@pytest.fixture
def admin_store(admin_app: Flask) -> JobStore:
    return get_jobs(admin_app).store()


def _submit(store: JobStore, slate_id: str = "main-1") -> str:
    return service.submit(store, {"slate_id": slate_id, "sport": "nfl", "players": PLAYERS}).run_id


def _failed_job(store: JobStore) -> str:
    run_id = _submit(store)
    claim = store.claim_next("host:1")
    assert claim is not None
    store.fail(run_id, claim.token, "scripted failure")
    return run_id


def _token(client: FlaskClient, run_id: str, action: str) -> str:
    page = client.get(f"/admin/jobs/{run_id}", headers=GOOD).get_data(as_text=True)
    match = re.search(
        rf'/{action}">\s*<input type="hidden" name="csrf_token" value="([^"]+)"', page
    )
    assert match, page
    return match.group(1)


def test_dashboard_is_off_without_a_password(client: FlaskClient) -> None:
    """ADMIN_PASSWORD unset: /admin/ is not routed at all."""
    assert client.get("/admin/", headers=GOOD).status_code == 404


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic " + base64.b64encode(b"admin:wrong").decode()},
        {"Authorization": "Basic " + base64.b64encode(f"root:{PASSWORD}".encode()).decode()},
        {"Authorization": "Bearer " + PASSWORD},
    ],
)
def test_wrong_or_missing_credentials_get_a_basic_challenge(admin_client, headers) -> None:
    """401 with WWW-Authenticate: Basic, and no page content."""
    response = admin_client.get("/admin/", headers=headers)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic ")
    assert "Overview" not in response.get_data(as_text=True)


def test_overview_shows_queue_and_security_headers(admin_client, admin_store) -> None:
    """The overview counts the queue; its headers forbid script, framing and caching."""
    _submit(admin_store)

    response = admin_client.get("/admin/", headers=GOOD)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert re.search(r'id="queue-depth">1<', page)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert "frame-ancestors 'none'" in csp and response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"
    assert "<script" not in page and "style=" not in page


def test_job_list_searches_by_slate_and_pages(admin_client, admin_store) -> None:
    """Search by slate finds only its jobs; the list pages 25 at a time."""
    wanted = _submit(admin_store, "needle-slate")
    for _ in range(30):
        _submit(admin_store, "hay")

    found = admin_client.get("/admin/jobs?q=needle", headers=GOOD).get_data(as_text=True)
    first = admin_client.get("/admin/jobs?status=pending", headers=GOOD).get_data(as_text=True)
    second = admin_client.get("/admin/jobs?status=pending&page=2", headers=GOOD)

    assert wanted in found and found.count("/admin/jobs/0") == 1
    assert "page 1 of 2" in first and first.count('class="status pending"') == 25
    assert second.get_data(as_text=True).count('class="status pending"') == 6


def test_job_page_shows_lineups_by_player_name(admin_client, admin_store) -> None:
    """A complete job's page lists its lineups with the players' names and salaries."""
    run_id = _submit(admin_store)
    claim = admin_store.claim_next("host:1")
    lineup = {"players": [{"slot": "QB", "id": "p2"}, {"slot": "FLEX", "id": "p0"}],
              "salary": 10002, "projection": 22.0, "mean": 21.5}  # fmt: skip
    admin_store.complete(run_id, claim.token, {"lineups": [lineup], "exposures": {}})

    response = admin_client.get(f"/admin/jobs/{run_id}", headers=GOOD)

    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "Player Number2" in page and "Player Number0" in page and "5002" in page
    assert "mean 21.5" in page
    assert f'href="/optimize/{run_id}/result.csv"' in page


def test_a_job_without_result_has_no_csv_link(admin_client, admin_store) -> None:
    """The DraftKings CSV link appears only once the job has lineups."""
    run_id = _submit(admin_store)

    page = admin_client.get(f"/admin/jobs/{run_id}", headers=GOOD).get_data(as_text=True)

    assert "result.csv" not in page


def test_requeue_without_a_valid_csrf_token_is_refused(admin_client, admin_store) -> None:
    """No token, a forged one, or one issued for another job: 403 and nothing changes."""
    run_id = _failed_job(admin_store)
    other = _failed_job(admin_store)
    foreign = _token(admin_client, other, "requeue")

    for form in ({}, {"csrf_token": "forged"}, {"csrf_token": foreign}):
        response = admin_client.post(f"/admin/jobs/{run_id}/requeue", data=form, headers=GOOD)
        assert response.status_code == 403
    assert admin_store.get(run_id).status == "failed"


def test_requeue_needs_credentials_even_with_a_token(admin_client, admin_store) -> None:
    """A state change without Basic credentials is 401."""
    run_id = _failed_job(admin_store)
    token = _token(admin_client, run_id, "requeue")

    response = admin_client.post(f"/admin/jobs/{run_id}/requeue", data={"csrf_token": token})

    assert response.status_code == 401 and admin_store.get(run_id).status == "failed"


def test_requeue_a_failed_job_puts_it_back_in_the_queue(
    admin_client, admin_store, log_capture
) -> None:
    """With a valid token a failed job is pending again, queued, and the action is logged."""
    from tests.conftest import capture_logs_into

    capture_logs_into(log_capture)
    run_id = _failed_job(admin_store)
    token = _token(admin_client, run_id, "requeue")

    response = admin_client.post(
        f"/admin/jobs/{run_id}/requeue", data={"csrf_token": token}, headers=GOOD
    )

    assert response.status_code == 303
    record = admin_store.get(run_id)
    assert record.status == "pending" and record.error is None
    assert admin_store.queue_stats().pending == 1
    actions = [e for e in log_capture.entries if e["event"] == "admin_action"]
    assert actions and actions[0]["job_id"] == run_id and actions[0]["action"] == "requeue"


def test_fail_a_stuck_running_job(admin_client, admin_store) -> None:
    """`fail` with a token and a reason fails a running job with that reason."""
    run_id = _submit(admin_store)
    admin_store.claim_next("stuck:1")
    token = _token(admin_client, run_id, "fail")

    response = admin_client.post(
        f"/admin/jobs/{run_id}/fail",
        data={"csrf_token": token, "reason": "bad slate"},
        headers=GOOD,
    )

    assert response.status_code == 303
    record = admin_store.get(run_id)
    assert record.status == "failed" and record.error == "operator: bad slate"


def test_requeue_hands_a_stuck_running_job_back(admin_client, admin_store) -> None:
    """On a running job, requeue is a hand-back: pending again, not counted as an attempt."""
    run_id = _submit(admin_store)
    admin_store.claim_next("stuck:1")
    token = _token(admin_client, run_id, "requeue")

    response = admin_client.post(
        f"/admin/jobs/{run_id}/requeue", data={"csrf_token": token}, headers=GOOD
    )

    assert response.status_code == 303
    record = admin_store.get(run_id)
    assert record.status == "pending" and record.handbacks == 1


def test_actions_on_a_finished_job_are_refused(admin_client, admin_store) -> None:
    """A complete job cannot be requeued or failed: 409, and it stays complete."""
    run_id = _submit(admin_store)
    claim = admin_store.claim_next("host:1")
    admin_store.complete(run_id, claim.token, {"lineups": []})
    tokens = CSRF.lookup(admin_client.application)
    for action in ("requeue", "fail"):
        form = {"csrf_token": tokens.issue(action, run_id), "reason": "x"}
        response = admin_client.post(f"/admin/jobs/{run_id}/{action}", data=form, headers=GOOD)
        assert response.status_code == 409, action
    assert admin_store.get(run_id).status == "complete"
