"""GET /metrics: request counts by route, job counts, queue figures read at scrape time."""

from __future__ import annotations

import re

import redis
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import valid_players
from webapp.jobs.extension import get_jobs
from webapp.jobs.store import JobStore
from webapp.observability.metrics.observers import JobMetrics

BODY = {"slate_id": "noop", "sport": "nfl", "players": valid_players()}


def _value(text: str, sample: str) -> float:
    """The value of one sample line (name with its labels exactly as exposed); 0 if absent."""
    match = re.search(rf"^{re.escape(sample)} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def _scrape(client: FlaskClient) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return response.get_data(as_text=True)


def test_requests_are_counted_by_route_not_raw_path(client: FlaskClient) -> None:
    """Two reads of different run ids are one series: endpoint is the route rule."""
    for run_id in ("01ARZ3NDEKTSV4RRFFQ69G5FAV", "01ARZ3NDEKTSV4RRFFQ69G5FAW"):
        assert client.get(f"/optimize/{run_id}").status_code == 404
    client.get("/no/such/page")

    text = _scrape(client)

    rule = 'endpoint="/optimize/<run_id>",method="GET",status="404"'
    assert _value(text, f"webapp_http_requests_total{{{rule}}}") == 2
    assert "01ARZ3NDEKTSV4RRFFQ69G5FAV" not in text and "/no/such/page" not in text
    unmatched = 'endpoint="<unmatched>",method="GET",status="404"'
    assert _value(text, f"webapp_http_requests_total{{{unmatched}}}") == 1
    count = 'webapp_http_request_duration_seconds_count{endpoint="/optimize/<run_id>",method="GET"}'
    assert _value(text, count) == 2


def test_submits_count_once_and_replays_do_not(client: FlaskClient) -> None:
    """An accepted job counts; the same Idempotency-Key replayed does not."""
    headers = {"Idempotency-Key": "metrics-test-key"}
    assert client.post("/optimize", json=BODY, headers=headers).status_code == 202
    assert client.post("/optimize", json=BODY, headers=headers).status_code == 202
    assert client.post("/optimize", json={"slate_id": "x", "sport": "golf"}).status_code == 400

    assert _value(_scrape(client), "webapp_jobs_submitted_total") == 1


def test_queue_figures_are_read_from_redis(client: FlaskClient, store: JobStore) -> None:
    """Queue depth, running jobs and the oldest pending age come from the store."""
    for _ in range(3):
        client.post("/optimize", json=BODY)
    store.claim_next("elsewhere:1")

    text = _scrape(client)

    assert _value(text, "webapp_queue_depth") == 2
    assert _value(text, "webapp_jobs_running") == 1
    assert _value(text, "webapp_oldest_pending_age_seconds") >= 0
    assert "webapp_oldest_pending_age_seconds " in text


def test_finished_jobs_and_attempts_are_counted(app: Flask, client: FlaskClient) -> None:
    """Runner events become finished counts, attempt outcomes and a duration histogram."""
    events = get_jobs(app).runner.events
    assert isinstance(events, JobMetrics)
    record = None
    events.finished(record, "complete", 0.3)  # type: ignore[arg-type]
    events.finished(record, "failed", 2.0)  # type: ignore[arg-type]
    events.attempt_ended("handed_back")
    events.reclaimed("failed")

    text = _scrape(client)

    assert _value(text, 'webapp_jobs_finished_total{status="complete"}') == 1
    assert _value(text, 'webapp_jobs_finished_total{status="failed"}') == 2
    assert _value(text, 'webapp_job_attempts_total{outcome="lease_expired"}') == 1
    assert _value(text, 'webapp_job_attempts_total{outcome="handed_back"}') == 1
    assert _value(text, 'webapp_job_duration_seconds_bucket{le="0.5",status="complete"}') == 1
    assert _value(text, 'webapp_job_duration_seconds_count{status="failed"}') == 1


def test_cancelled_jobs_are_counted_as_finished_once(client: FlaskClient) -> None:
    """A DELETE that ends a job counts it under status cancelled; a second DELETE (409) does
    not count it again."""
    run_id = client.post("/optimize", json=BODY).json["run_id"]

    assert client.delete(f"/optimize/{run_id}").status_code == 200
    assert client.delete(f"/optimize/{run_id}").status_code == 409

    text = _scrape(client)
    assert _value(text, 'webapp_jobs_finished_total{status="cancelled"}') == 1
    assert _value(text, 'webapp_jobs_finished_total{status="failed"}') == 0


def test_redis_outage_is_counted_and_the_scrape_still_answers(make_app, monkeypatch) -> None:
    """A 503 from Redis being down counts as a Redis error; the scrape leaves out queue
    figures it cannot read but still answers."""
    app = make_app()
    client = app.test_client()

    def down(*args, **kwargs):
        raise redis.ConnectionError("refused")

    monkeypatch.setattr(JobStore, "get", down)
    monkeypatch.setattr(JobStore, "queue_stats", down)
    assert client.get("/optimize/01ARZ3NDEKTSV4RRFFQ69G5FAV").status_code == 503

    first = _scrape(client)
    second = _scrape(client)

    assert "webapp_queue_depth" not in first
    assert _value(first, "webapp_redis_errors_total") == 1  # the read (its queue part comes after)
    assert _value(second, "webapp_redis_errors_total") == 2  # and the first scrape's queue read


def test_metrics_off(make_app) -> None:
    """METRICS_ENABLED=false: no /metrics route."""
    app = make_app(metrics_enabled=False)
    assert app.test_client().get("/metrics").status_code == 404


def test_unknown_methods_share_one_label(client: FlaskClient) -> None:
    """A made-up HTTP method is counted as `other`, so clients cannot add series at will."""
    client.open("/health", method="BREW")
    client.open("/health", method="FETCHALL")

    text = _scrape(client)

    assert "BREW" not in text and "FETCHALL" not in text
    assert (
        _value(
            text, 'webapp_http_requests_total{endpoint="<unmatched>",method="other",status="405"}'
        )
        == 2
    )
