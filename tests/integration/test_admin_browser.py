"""The /admin/ dashboard in a real browser (headless Chromium via selenium) against real
gunicorn, the real optimizer and a real Redis. Screenshots: var/test-artifacts/admin/."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask
from selenium.webdriver.common.by import By

from bench.slates import nfl_slate
from tests.support.browser import ARTIFACTS, chromium, screenshot
from tests.support.gunicorn_server import GunicornServer
from tests.support.waiting import wait_until
from webapp.tenants.api_keys import KEY_CACHE_S
from webapp.tenants.auth import get_auth

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PASSWORD = "s3cret-for-browser-test"
SHOTS = ARTIFACTS / "admin"


def _serve(tmp_path: Path, service_env: dict, **env: str) -> Iterator[GunicornServer]:
    env = {**service_env, "ADMIN_PASSWORD": PASSWORD, "SERVICE_ID": "browser-test", **env}
    instance = GunicornServer(tmp_path, env, app="webapp:create_app()", workers=1)
    instance.start()
    yield instance
    instance.stop()


@pytest.fixture
def server(tmp_path: Path, service_env: dict) -> Iterator[GunicornServer]:
    """The service with the real optimizer and the dashboard on."""
    yield from _serve(tmp_path, service_env)


@pytest.fixture
def keyed_server(tmp_path: Path, service_env: dict) -> Iterator[GunicornServer]:
    """The same, with the API asking for keys (AUTH_MODE=api_key)."""
    yield from _serve(tmp_path, service_env, AUTH_MODE="api_key")


def _submit(url: str, players: list[dict], headers: dict | None = None, **options: object) -> str:
    body = {"slate_id": "browser-main", "sport": "nfl", "n_lineups": 3, "players": players}
    response = requests.post(
        f"{url}/optimize", json={**body, **options}, headers=headers, timeout=10
    )
    assert response.status_code == 202, response.text
    return response.json()["run_id"]


def _long_job(url: str) -> str:
    """A job that runs for a long while (minutes, so it cannot end while the browser works on
    it): 150 lineups from 100,000 scenarios on a full NFL slate."""
    return _submit(url, nfl_slate(seed=3), n_scenarios=100_000, n_lineups=150)


def _cancelled_job(url: str) -> str:
    """A job that ended failed: a long simulation, cancelled at once (code `cancelled`)."""
    run_id = _long_job(url)
    response = requests.delete(f"{url}/optimize/{run_id}", timeout=10)
    assert response.status_code == 200, response.text
    return run_id


def _status(url: str, run_id: str) -> dict:
    return requests.get(f"{url}/optimize/{run_id}", timeout=10).json()


def _wait_for(url: str, run_id: str, status: str) -> dict:
    return wait_until(
        lambda: (doc := _status(url, run_id))["status"] == status and doc, 60, interval_s=0.1
    )


@pytest.mark.timeout(180)
def test_operator_sees_runs_and_requeues_jobs_in_the_browser(server: GunicornServer) -> None:
    """Log in, see a job just submitted, open it, read its lineups by player name; find no
    retry for a job its client cancelled; fail a stuck job with a reason, then retry it."""
    players = nfl_slate(seed=3, games=2)
    names = {p["id"]: p["name"] for p in players}
    good = _submit(server.url, players)
    _wait_for(server.url, good, "complete")
    cancelled = _cancelled_job(server.url)
    _wait_for(server.url, cancelled, "failed")
    bad = _long_job(server.url)
    _wait_for(server.url, bad, "running")
    lineups = requests.get(f"{server.url}/optimize/{good}/result", timeout=10).json()["result"]
    first_lineup = [names[p["id"]] for p in lineups["lineups"][0]["players"]]

    with chromium() as browser:
        browser.get(f"{server.url}/admin/")
        assert "Overview" not in browser.page_source  # 401 without credentials
        screenshot(browser, SHOTS, "0-refused-without-login")

        host = server.url.removeprefix("http://")
        browser.get(f"http://admin:{PASSWORD}@{host}/admin/")
        assert browser.find_element(By.TAG_NAME, "h1").text == "Overview"
        assert "browser-test" in browser.page_source  # the instance's heartbeat
        screenshot(browser, SHOTS, "1-overview")

        browser.get(f"{server.url}/admin/jobs")
        link = browser.find_element(By.LINK_TEXT, good)
        assert "browser-main" in browser.page_source
        screenshot(browser, SHOTS, "2-job-list")

        link.click()
        assert browser.find_element(By.ID, "job-status").text == "complete"
        shown = [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, "td.player")]
        assert len(shown) == 3 * 9 and shown[:9] == first_lineup
        screenshot(browser, SHOTS, "3-job-with-lineups")

        browser.get(f"{server.url}/admin/jobs/{cancelled}")
        assert browser.find_element(By.ID, "job-error").text == "cancelled by the client"
        assert not browser.find_elements(By.ID, "requeue")
        screenshot(browser, SHOTS, "4-cancelled-job")

        browser.get(f"{server.url}/admin/jobs/{bad}")
        browser.find_element(By.NAME, "reason").send_keys("stuck")
        browser.find_element(By.ID, "fail").click()
        assert browser.find_element(By.ID, "job-error").text == "operator: stuck"
        screenshot(browser, SHOTS, "5-failed-job")
        browser.find_element(By.ID, "requeue").click()
        assert "requeued (was failed)" in browser.find_element(By.ID, "notice").text
        screenshot(browser, SHOTS, "6-after-requeue")

    retried = wait_until(lambda: (d := _status(server.url, bad))["attempts"] == 2 and d, 30)
    assert retried["status"] in {"pending", "running", "complete", "failed"}
    server.wait_for_log("admin_action")


def test_plain_http_refusals(server: GunicornServer) -> None:
    """Without credentials 401 with a Basic challenge; a post without a CSRF token 403."""
    auth = {"Authorization": "Basic " + base64.b64encode(f"admin:{PASSWORD}".encode()).decode()}
    run_id = _cancelled_job(server.url)
    _wait_for(server.url, run_id, "failed")

    anonymous = requests.get(f"{server.url}/admin/", timeout=10)
    forged = requests.post(
        f"{server.url}/admin/jobs/{run_id}/requeue",
        data={"csrf_token": "x"},
        headers=auth,
        timeout=10,
        allow_redirects=False,
    )

    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith(
        "Basic"
    )
    assert forged.status_code == 403
    assert _status(server.url, run_id)["status"] == "failed"


@pytest.mark.timeout(120)
def test_operator_revokes_a_key_in_the_browser(
    keyed_server: GunicornServer, real_app: Flask
) -> None:
    """See a tenant's job and its key listed, revoke the key with the form: its requests are
    401 within KEY_CACHE_S."""
    key = get_auth(real_app).api_keys.create("browser-tenant", max_pending=9)
    bearer = {"Authorization": f"Bearer {key}"}
    run_id = _submit(keyed_server.url, nfl_slate(seed=3, games=2), headers=bearer)

    with chromium() as browser:
        host = keyed_server.url.removeprefix("http://")
        browser.get(f"http://admin:{PASSWORD}@{host}/admin/jobs")
        row = browser.find_element(By.LINK_TEXT, run_id).find_element(By.XPATH, "../..")
        assert row.find_element(By.CSS_SELECTOR, "td.tenant").text == "browser-tenant"
        browser.find_element(By.LINK_TEXT, "API keys").click()
        cells = browser.find_elements(By.CSS_SELECTOR, "#key-browser-tenant td")
        assert [c.text for c in cells[:2]] == ["browser-tenant", "9"]
        assert key not in browser.page_source
        screenshot(browser, SHOTS, "7-keys")
        browser.find_element(By.ID, "revoke-browser-tenant").click()
        assert "Revoked the key of browser-tenant" in browser.find_element(By.ID, "notice").text
        assert not browser.find_elements(By.ID, "key-browser-tenant")
        screenshot(browser, SHOTS, "8-key-revoked")

    def refused() -> bool:
        status = requests.get(f"{keyed_server.url}/optimize/{run_id}", headers=bearer, timeout=10)
        return status.status_code == 401

    wait_until(refused, KEY_CACHE_S + 3, interval_s=0.2, message="the revoked key still works")
    keyed_server.wait_for_log("admin_key_revoked")
