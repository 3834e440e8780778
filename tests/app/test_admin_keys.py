"""The dashboard's API keys page, its revoke action, and the tenant of each job, on fakeredis."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import capture_logs_into, valid_players
from webapp.admin.views import CSRF
from webapp.jobs.extension import get_jobs
from webapp.tenants.api_keys import digest
from webapp.tenants.auth import get_auth

PASSWORD = "keys page password"
DASH = "\u2013"  # what the pages show for a value that is not there
ADMIN = {"Authorization": "Basic " + base64.b64encode(f"admin:{PASSWORD}".encode()).decode()}


@pytest.fixture
def keyed_admin_app(make_app: Callable[..., Flask]) -> Flask:
    """The dashboard on, and the API asking for keys (AUTH_MODE=api_key)."""
    return make_app(admin_password=PASSWORD, auth_mode="api_key")


@pytest.fixture
def admin_client(keyed_admin_app: Flask) -> FlaskClient:
    return keyed_admin_app.test_client()


def _create_key(app: Flask, name: str, **limits: float) -> str:
    """A key made as `flask keys create` makes it."""
    return get_auth(app).api_keys.create(name, **limits)


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _submit(client: FlaskClient, key: str) -> str:
    body = {"slate_id": "noop", "players": valid_players()}
    response = client.post("/optimize", json=body, headers=_bearer(key))
    assert response.status_code == 202, response.json
    return response.json["run_id"]


def _revoke_token(client: FlaskClient, name: str) -> str:
    """The CSRF token of `name`'s revoke form on the keys page."""
    page = client.get("/admin/keys", headers=ADMIN).get_data(as_text=True)
    match = re.search(
        rf'/keys/{name}/revoke">\s*<input type="hidden" name="csrf_token" value="([^"]+)"', page
    )
    assert match, page
    return match.group(1)


def test_keys_page_lists_names_and_limits_but_never_a_key(keyed_admin_app, admin_client) -> None:
    """Each tenant with its limits (or the default) and created time; no key, no digest."""
    acme = _create_key(keyed_admin_app, "acme", max_pending=7, max_running=3, rate_per_s=1.5)
    bare = _create_key(keyed_admin_app, "bare-tenant")

    response = admin_client.get("/admin/keys", headers=ADMIN)

    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    row = re.search(r'<tr id="key-acme">(.*?)</tr>', page, re.S)
    assert row, page
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", row.group(1))
    assert cells[:4] == ["acme", "7", "3", "1.5"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+Z?", cells[4]) and cells[5] == "never"
    assert "bare-tenant" in page and "default 100" in page
    for key in (acme, bare):
        assert key not in page and digest(key) not in page
    assert "<script" not in page


def test_keys_page_is_in_the_navigation(admin_client) -> None:
    """Every dashboard page links to the keys page."""
    page = admin_client.get("/admin/", headers=ADMIN).get_data(as_text=True)

    assert 'href="/admin/keys"' in page


def test_keys_page_needs_the_admin_login(keyed_admin_app, admin_client) -> None:
    """Without Basic credentials the keys page is a 401 challenge, even with an API key."""
    key = _create_key(keyed_admin_app, "acme")

    response = admin_client.get("/admin/keys", headers=_bearer(key))

    assert response.status_code == 401 and "acme" not in response.get_data(as_text=True)


def test_revoke_with_a_valid_token_refuses_the_key_at_once(
    keyed_admin_app, admin_client, log_capture
) -> None:
    """The form's token revokes: the key's next API request is 401, the page says so, and
    the log names the tenant only."""
    capture_logs_into(log_capture)
    key = _create_key(keyed_admin_app, "acme")
    run_id = _submit(admin_client, key)
    token = _revoke_token(admin_client, "acme")

    response = admin_client.post(
        "/admin/keys/acme/revoke", data={"csrf_token": token}, headers=ADMIN
    )

    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/keys?revoked=acme"
    after = admin_client.get(response.headers["Location"], headers=ADMIN).get_data(as_text=True)
    assert re.search(r'id="notice">Revoked the key of acme:', after)
    assert 'id="key-acme"' not in after
    assert admin_client.get(f"/optimize/{run_id}", headers=_bearer(key)).status_code == 401
    revoked = [e for e in log_capture.entries if e["event"] == "admin_key_revoked"]
    assert len(revoked) == 1 and revoked[0]["tenant"] == "acme"
    assert key not in repr(log_capture.entries) and digest(key) not in repr(log_capture.entries)


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda tokens: None, id="missing"),
        pytest.param(lambda tokens: "forged", id="forged"),
        pytest.param(lambda tokens: tokens.issue("revoke_key", "other"), id="other-tenant"),
        pytest.param(lambda tokens: tokens.issue("requeue", "acme"), id="job-action"),
    ],
)
def test_revoke_without_a_valid_token_is_refused(
    keyed_admin_app, admin_client, log_capture, make_token
) -> None:
    """No token, a forged one, one for another tenant or one for a job action: 403, the key
    still works and nothing is logged as revoked."""
    capture_logs_into(log_capture)
    key = _create_key(keyed_admin_app, "acme")
    _create_key(keyed_admin_app, "other")
    token = make_token(CSRF.lookup(keyed_admin_app))
    form = {"csrf_token": token} if token else {}

    response = admin_client.post("/admin/keys/acme/revoke", data=form, headers=ADMIN)

    assert response.status_code == 403
    assert _submit(admin_client, key)
    assert not [e for e in log_capture.entries if e["event"] == "admin_key_revoked"]


def test_revoke_needs_the_admin_login_even_with_a_token(keyed_admin_app, admin_client) -> None:
    """A revoke without Basic credentials is 401 and the key stays."""
    key = _create_key(keyed_admin_app, "acme")
    token = _revoke_token(admin_client, "acme")

    response = admin_client.post("/admin/keys/acme/revoke", data={"csrf_token": token})

    assert response.status_code == 401
    assert _submit(admin_client, key)


def test_revoking_a_key_already_gone_is_404(keyed_admin_app, admin_client) -> None:
    """A second revoke (another operator was first) answers 404 and changes nothing."""
    _create_key(keyed_admin_app, "acme")
    token = _revoke_token(admin_client, "acme")
    get_auth(keyed_admin_app).api_keys.revoke("acme")

    response = admin_client.post(
        "/admin/keys/acme/revoke", data={"csrf_token": token}, headers=ADMIN
    )

    assert response.status_code == 404


def test_job_lists_and_page_show_the_tenant(keyed_admin_app, admin_client) -> None:
    """A job submitted with a key shows its tenant in the list, the overview's running jobs
    and on its page."""
    key = _create_key(keyed_admin_app, "acme")
    run_id = _submit(admin_client, key)
    get_jobs(keyed_admin_app).store().claim_next("host:1")

    listed = admin_client.get("/admin/jobs", headers=ADMIN).get_data(as_text=True)
    overview = admin_client.get("/admin/", headers=ADMIN).get_data(as_text=True)
    job = admin_client.get(f"/admin/jobs/{run_id}", headers=ADMIN).get_data(as_text=True)

    assert '<td class="tenant mono">acme</td>' in listed
    assert '<td class="tenant mono">acme</td>' in overview
    assert 'id="job-tenant">acme<' in job


def test_a_job_without_tenant_shows_a_dash(make_app: Callable[..., Flask]) -> None:
    """AUTH_MODE=none: the job has no tenant, shown as a dash in the list and on its page."""
    app = make_app(admin_password=PASSWORD)
    client = app.test_client()
    response = client.post("/optimize", json={"slate_id": "noop", "players": valid_players()})
    run_id = response.json["run_id"]

    listed = client.get("/admin/jobs", headers=ADMIN).get_data(as_text=True)
    job = client.get(f"/admin/jobs/{run_id}", headers=ADMIN).get_data(as_text=True)

    assert f'<td class="tenant mono">{DASH}</td>' in listed
    assert f'id="job-tenant">{DASH}<' in job
