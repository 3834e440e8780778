"""GET /optimize/<run_id> and /result."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.conftest import valid_players
from webapp.jobs.store import JobStore

UNKNOWN = "01ARZ3NDEKTSV4RRFFQ69G5FAV"


def _submit(client: FlaskClient, slate_id: str = "noop") -> str:
    response = client.post("/optimize", json={"slate_id": slate_id, "players": valid_players()})
    return response.json["run_id"]


def test_status_document_of_a_pending_job(client: FlaskClient) -> None:
    """A new job reads as pending with its metadata and timestamps, without its input."""
    run_id = _submit(client)

    document = client.get(f"/optimize/{run_id}").json

    assert document["status"] == "pending" and document["progress"] == 0.0
    assert document["attempts"] == 0 and document["metadata"]["slate_id"] == "noop"
    assert document["created_at"].endswith("Z") and document["started_at"] is None
    assert "result" not in document and "input" not in document


def test_the_input_is_read_when_asked_for(client: FlaskClient) -> None:
    """?include=input adds the stored input to the status; /input answers it alone; any other
    include is a 400."""
    run_id = _submit(client)

    with_input = client.get(f"/optimize/{run_id}?include=input").json
    alone = client.get(f"/optimize/{run_id}/input").json
    other = client.get(f"/optimize/{run_id}?include=result")

    assert with_input["input"]["slate_id"] == "noop" and len(with_input["input"]["players"]) == 2
    assert alone == {"run_id": run_id, "input": with_input["input"]}
    assert other.status_code == 400 and other.json["error"]["details"] == {"include": "result"}


def test_a_status_read_never_decodes_the_input(client: FlaskClient, store: JobStore) -> None:
    """A status read does not even fetch the input: one that could not be decoded does not
    disturb it (with the input asked for, the same record is a 500)."""
    run_id = _submit(client)
    store.redis.hset(store.keys.job(run_id), "input", b"x\x00not zlib")

    plain = client.get(f"/optimize/{run_id}")
    waited = client.get(f"/optimize/{run_id}?wait=0.1")
    with_input = client.get(f"/optimize/{run_id}?include=input")

    assert plain.status_code == 200 and waited.status_code == 200
    assert with_input.status_code == 500


@pytest.mark.parametrize(
    "path", ["/optimize/{id}", "/optimize/{id}/result"], ids=["status", "result"]
)
def test_unknown_id_is_404(client: FlaskClient, path: str) -> None:
    """An id that never existed is 404 with a JSON error."""
    response = client.get(path.format(id=UNKNOWN))

    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "bad",
    [
        "nope",
        "01ARZ3NDEKTSV4RRFFQ69G5FA",
        "81ARZ3NDEKTSV4RRFFQ69G5FAV",
        "01ARZ3NDEKTSV4RRFFQ69G5FAU!",
    ],
)
def test_malformed_id_is_400(client: FlaskClient, bad: str) -> None:
    """A run_id that is not a ULID is 400."""
    response = client.get(f"/optimize/{bad}")

    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"


def test_lowercase_id_finds_the_job(client: FlaskClient) -> None:
    """ULIDs are case-insensitive."""
    run_id = _submit(client)

    assert client.get(f"/optimize/{run_id.lower()}").json["run_id"] == run_id


def test_expired_job_is_410(client: FlaskClient, store: JobStore) -> None:
    """Once the record is gone but the tombstone remains, the job reads as expired."""
    run_id = _submit(client)
    store.redis.delete(store.keys.job(run_id))

    status = client.get(f"/optimize/{run_id}")
    result = client.get(f"/optimize/{run_id}/result")

    assert status.status_code == result.status_code == 410
    assert status.json["error"]["code"] == "expired"


def test_result_of_pending_job_is_409_with_status(client: FlaskClient) -> None:
    """Asking for the result too early gets 409 and the current status."""
    run_id = _submit(client)

    response = client.get(f"/optimize/{run_id}/result")

    assert response.status_code == 409
    assert response.json["error"]["details"]["status"] == "pending"


def test_result_of_failed_job_is_409_job_failed_with_error(
    client: FlaskClient, store: JobStore
) -> None:
    """A failed job's result read says job_failed (not "not ready") with its error and code."""
    run_id = _submit(client)
    claim = store.claim_next("test")
    store.fail(run_id, claim.token, "no feasible lineup", "infeasible")

    response = client.get(f"/optimize/{run_id}/result")

    assert response.status_code == 409
    assert response.json["error"]["code"] == "job_failed"
    assert response.json["error"]["details"] == {
        "status": "failed",
        "progress": 0.0,
        "error": "no feasible lineup",
        "error_code": "infeasible",
    }


def test_result_of_complete_job(client: FlaskClient, store: JobStore) -> None:
    """A complete job's result is returned whole."""
    run_id = _submit(client)
    claim = store.claim_next("test")
    store.complete(run_id, claim.token, {"lineups": [{"players": [], "salary": 1}]})

    response = client.get(f"/optimize/{run_id}/result")

    assert response.status_code == 200
    assert response.json == {
        "run_id": run_id,
        "status": "complete",
        "result": {"lineups": [{"players": [], "salary": 1}]},
    }


def test_unknown_route_and_method_are_json(client: FlaskClient) -> None:
    """Routing errors use the same envelope; 405 keeps its Allow header."""
    missing = client.get("/nowhere")
    wrong_method = client.delete("/optimize")

    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
    assert wrong_method.status_code == 405 and "POST" in wrong_method.headers["Allow"]


def test_every_response_echoes_the_correlation_id(client: FlaskClient) -> None:
    """Success and error responses alike carry X-Correlation-ID."""
    ok = client.get("/health", headers={"X-Correlation-ID": "abc"})
    error = client.get(f"/optimize/{UNKNOWN}", headers={"X-Correlation-ID": "def"})
    minted = client.get("/nowhere", headers={"X-Correlation-ID": "bad value;"})

    assert ok.headers["X-Correlation-ID"] == "abc"
    assert error.headers["X-Correlation-ID"] == "def"
    assert len(minted.headers["X-Correlation-ID"]) == 26
