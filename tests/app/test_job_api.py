"""The job API around a job's life: cancel, long-poll, failure codes, framework errors."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import close_app, valid_players
from tests.support.kinds import scripted_kinds
from webapp import create_app
from webapp.config import Settings
from webapp.jobs.context import JobContext
from webapp.jobs.errors import JobCancelledError, TransitionRefusedError
from webapp.jobs.extension import get_jobs
from webapp.jobs.store import JobStore


def _submit(client: FlaskClient, slate_id: str = "noop") -> str:
    response = client.post("/optimize", json={"slate_id": slate_id, "players": valid_players()})
    assert response.status_code == 202, response.json
    return response.json["run_id"]


def test_cancelling_a_pending_job_takes_it_off_the_queue(
    client: FlaskClient, store: JobStore
) -> None:
    """DELETE on a pending job ends it failed with code cancelled; no process can claim it."""
    run_id = _submit(client)

    response = client.delete(f"/optimize/{run_id}")

    assert response.status_code == 200
    assert response.json["status"] == "failed"
    assert response.json["error_code"] == "cancelled"
    assert store.claim_next("test") is None


def test_cancelling_a_running_job_fences_its_attempt(client: FlaskClient, store: JobStore) -> None:
    """A running attempt's next progress point raises, its heartbeat finds the job lost and
    its final write is refused."""
    run_id = _submit(client)
    claim = store.claim_next("test")
    context = JobContext(store, claim)

    client.delete(f"/optimize/{run_id}")

    with pytest.raises(JobCancelledError):
        context.progress(0.5, "building")
    assert store.renew_leases("test", [claim]).lost == [run_id]
    with pytest.raises(TransitionRefusedError):
        store.complete(run_id, claim.token, {"lineups": []})
    assert store.get(run_id).error_code == "cancelled"


def _end_complete(client: FlaskClient, store: JobStore, run_id: str) -> None:
    store.complete(run_id, store.claim_next("test").token, {"lineups": []})


def _end_failed(client: FlaskClient, store: JobStore, run_id: str) -> None:
    store.fail(run_id, store.claim_next("test").token, "no lineup", "infeasible")


def _end_cancelled(client: FlaskClient, store: JobStore, run_id: str) -> None:
    assert client.delete(f"/optimize/{run_id}").status_code == 200


@pytest.mark.parametrize(
    ("end", "status", "error_code"),
    [
        (_end_complete, "complete", None),
        (_end_failed, "failed", "infeasible"),
        (_end_cancelled, "failed", "cancelled"),
    ],
    ids=["complete", "failed", "cancelled"],
)
def test_cancelling_an_ended_job_is_409_however_it_ended(
    client: FlaskClient, store: JobStore, end, status: str, error_code: str | None
) -> None:
    """One rule for every ended job, a cancelled one included: DELETE answers 409 job_finished
    with how it ended, and changes nothing."""
    run_id = _submit(client)
    end(client, store, run_id)

    response = client.delete(f"/optimize/{run_id}")

    assert response.status_code == 409
    assert response.json["error"]["code"] == "job_finished"
    assert response.json["error"]["details"] == {"status": status, "error_code": error_code}
    assert store.get(run_id).error_code == error_code


@pytest.mark.parametrize("end", ["complete", "failed", "requeued"])
def test_phase_is_the_running_attempts_step_only(
    client: FlaskClient, store: JobStore, end: str
) -> None:
    """A running job shows the step it is at; once it has ended (or waits on the queue again)
    its phase is null, not the last step it reported."""
    run_id = _submit(client)
    claim = store.claim_next("test")
    store.report_progress(run_id, claim.token, 0.9, "selecting")
    running = client.get(f"/optimize/{run_id}").json
    if end == "complete":
        store.complete(run_id, claim.token, {"lineups": []})
    elif end == "failed":
        store.fail(run_id, claim.token, "no lineup", "infeasible")
    else:
        store.retry_later(run_id, claim.token, "Neo4j down", 60)

    document = client.get(f"/optimize/{run_id}").json

    assert (running["status"], running["phase"]) == ("running", "selecting")
    assert document["status"] != "running" and document["phase"] is None


def test_a_cancelled_job_result_is_job_failed(client: FlaskClient) -> None:
    """The result of a cancelled job answers job_failed with code cancelled, not "not ready"."""
    run_id = _submit(client)
    client.delete(f"/optimize/{run_id}")

    response = client.get(f"/optimize/{run_id}/result")

    assert response.status_code == 409
    assert response.json["error"]["code"] == "job_failed"
    assert response.json["error"]["details"]["error_code"] == "cancelled"


def test_a_scripted_failure_carries_a_code(client: FlaskClient, app: Flask) -> None:
    """A job function's JobFailedError ends the job with its code beside the message."""
    run_id = _submit(client, "fail")
    runner = get_jobs(app).runner
    runner.start()
    try:
        deadline = time.monotonic() + 10
        while client.get(f"/optimize/{run_id}").json["status"] != "failed":
            assert time.monotonic() < deadline, "the job did not fail in time"
            time.sleep(0.02)
    finally:
        runner.shutdown()

    document = client.get(f"/optimize/{run_id}").json

    assert document["error"] == "scripted failure"
    assert document["error_code"] == "job_failed"


@pytest.mark.parametrize("wait", ["31", "-1", "soon"])
def test_wait_out_of_bounds_is_400(client: FlaskClient, wait: str) -> None:
    """wait is a number of seconds from 0 to 30."""
    run_id = _submit(client)

    response = client.get(f"/optimize/{run_id}?wait={wait}")

    assert response.status_code == 400


def test_wait_answers_when_the_status_changes(real_app: Flask) -> None:
    """A waiting status read answers as soon as the job is claimed, not when wait runs out."""
    client = real_app.test_client()
    run_id = _submit(client)
    store = get_jobs(real_app).store()
    timer = threading.Timer(0.3, lambda: store.claim_next("test"))
    started = time.monotonic()
    timer.start()

    document = client.get(f"/optimize/{run_id}?wait=10").json
    elapsed = time.monotonic() - started
    timer.join()

    assert document["status"] == "running"
    assert 0.25 <= elapsed < 3.0


def test_every_waiter_of_a_change_wakes(real_app: Flask) -> None:
    """Several waiters on one job all answer after one change (each passes the notice on)."""
    run_id = _submit(real_app.test_client())
    store = get_jobs(real_app).store()
    answers: list[tuple[str, float]] = []
    started = time.monotonic()

    def wait() -> None:
        document = real_app.test_client().get(f"/optimize/{run_id}?wait=10").json
        answers.append((document["status"], time.monotonic() - started))

    waiters = [threading.Thread(target=wait) for _ in range(3)]
    for thread in waiters:
        thread.start()
    time.sleep(0.3)
    store.claim_next("test")
    for thread in waiters:
        thread.join(timeout=15)

    assert [status for status, _ in answers] == ["running"] * 3
    assert max(elapsed for _, elapsed in answers) < 3.0


def test_wait_runs_out_with_the_unchanged_status(real_app: Flask) -> None:
    """With no change, the read answers after the wait with the status as it is."""
    client = real_app.test_client()
    run_id = _submit(client)
    started = time.monotonic()

    document = client.get(f"/optimize/{run_id}?wait=0.5").json

    assert document["status"] == "pending"
    assert 0.45 <= time.monotonic() - started < 3.0


def test_waiters_beyond_the_bound_answer_at_once(
    settings: Settings, real_redis: redis.Redis
) -> None:
    """With every waiting slot taken, a read answers at once and says it did not wait."""
    app = create_app(replace(settings, status_wait_max_waiters=1), kinds=scripted_kinds())
    try:
        run_id = _submit(app.test_client())
        holder = threading.Thread(
            target=lambda: app.test_client().get(f"/optimize/{run_id}?wait=1.5")
        )
        holder.start()
        time.sleep(0.3)
        started = time.monotonic()

        response = app.test_client().get(f"/optimize/{run_id}?wait=5")
        elapsed = time.monotonic() - started
        holder.join()
    finally:
        close_app(app)

    assert response.json["status"] == "pending"
    assert elapsed < 1.0
    assert response.headers["Status-Wait"].startswith("skipped")


def test_a_read_that_could_not_wait_says_when_to_read_again(
    settings: Settings, real_redis: redis.Redis
) -> None:
    """Beyond STATUS_WAIT_MAX_WAITERS the answer carries Retry-After, so a client looping on
    ?wait (the README's step 3) pauses instead of spinning; a read that waited carries none."""
    app = create_app(replace(settings, status_wait_max_waiters=1), kinds=scripted_kinds())
    try:
        run_id = _submit(app.test_client())
        held: list = []
        holder = threading.Thread(
            target=lambda: held.append(app.test_client().get(f"/optimize/{run_id}?wait=1.5"))
        )
        holder.start()
        time.sleep(0.3)

        skipped = app.test_client().get(f"/optimize/{run_id}?wait=5")
        holder.join()
    finally:
        close_app(app)

    assert skipped.status_code == 200 and skipped.headers["Status-Wait"].startswith("skipped")
    assert int(skipped.headers["Retry-After"]) >= 1
    assert "Retry-After" not in held[0].headers


def test_a_finished_job_answers_wait_at_once(client: FlaskClient, store: JobStore) -> None:
    """There is nothing to wait for once a job has ended."""
    run_id = _submit(client)
    client.delete(f"/optimize/{run_id}")
    started = time.monotonic()

    response = client.get(f"/optimize/{run_id}?wait=5")

    assert response.json["status"] == "failed"
    assert time.monotonic() - started < 1.0


def test_405_names_the_method_and_the_allowed_ones(client: FlaskClient) -> None:
    """A wrong method gets the service's own message, not Werkzeug's."""
    response = client.put("/optimize")

    assert response.status_code == 405
    assert response.json["error"]["code"] == "method_not_allowed"
    assert response.json["error"]["message"].startswith("PUT is not allowed on /optimize")
    assert "POST" in response.json["error"]["message"]


def test_form_body_is_415_in_the_service_words(client: FlaskClient) -> None:
    """A body that is not JSON is refused with a message naming the Content-Type sent."""
    response = client.post("/optimize", data="x=1", content_type="text/plain")

    assert response.status_code == 415
    assert response.json["error"]["code"] == "unsupported_media_type"
    assert "text/plain" in response.json["error"]["message"]
