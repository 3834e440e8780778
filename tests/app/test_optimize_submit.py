"""POST /optimize: validation, storage, idempotency."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import valid_players
from tests.support.dk_csv import nfl_salary_csv
from webapp.jobs.extension import get_jobs
from webapp.jobs.store import JobStore

CONTEST = {
    "field_size": 100,
    "entry_fee": 2.0,
    "payouts": [{"min_rank": 1, "max_rank": 20, "prize": 8}],
}


def _body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"slate_id": "noop", "players": valid_players(), "n_scenarios": 0}
    body.update(overrides)
    return body


def _queued(store: JobStore) -> int:
    return store.queue_stats().pending


def test_accepted_job_is_in_redis_before_the_answer(client: FlaskClient, store: JobStore) -> None:
    """202 with run_id, Location and links; the record and the queue entry already exist."""
    response = client.post("/optimize", json=_body())

    assert response.status_code == 202
    run_id = response.json["run_id"]
    assert response.headers["Location"] == f"/optimize/{run_id}"
    assert response.json["links"] == {
        "self": f"/optimize/{run_id}",
        "result": f"/optimize/{run_id}/result",
        "input": f"/optimize/{run_id}/input",
    }
    record = store.get(run_id)
    assert record.status == "pending" and record.input["slate_id"] == "noop"
    assert _queued(store) == 1


def test_record_holds_input_metadata_and_request_id(client: FlaskClient, store: JobStore) -> None:
    """The full validated input (with defaults), metadata and the creating request's id are kept."""
    response = client.post(
        "/optimize", json=_body(n_lineups=3), headers={"X-Correlation-ID": "req-abc"}
    )

    record = store.get(response.json["run_id"])
    assert record.request_id == "req-abc"
    assert record.metadata == {
        "slate_id": "noop",
        "sport": "nfl",
        "n_scenarios": 0,
        "n_lineups": 3,
        "n_players": 2,
    }
    assert record.input["sport"] == "nfl" and record.input["min_unique"] == 1


def _player(**overrides: Any) -> dict[str, Any]:
    player = copy.deepcopy(valid_players(1)[0])
    player.update(overrides)
    return player


BAD_BODIES = [
    ("neither-players-nor-slate", {"n_lineups": 2}, "players"),
    ("slate-bad-chars", _body(slate_id="bad slate!"), "slate_id"),
    ("slate-too-long", _body(slate_id="x" * 65), "slate_id"),
    ("unknown-field", _body(colour="red"), "colour"),
    ("bad-sport", _body(sport="cricket"), "sport"),
    ("n_lineups-0", _body(n_lineups=0), "n_lineups"),
    ("n_lineups-151", _body(n_lineups=151), "n_lineups"),
    ("n_lineups-string", _body(n_lineups="5"), "n_lineups"),
    ("n_lineups-float", _body(n_lineups=2.5), "n_lineups"),
    ("n_scenarios-big", _body(n_scenarios=100_001), "n_scenarios"),
    ("n_scenarios-negative", _body(n_scenarios=-1), "n_scenarios"),
    ("seed-negative", _body(seed=-5), "seed"),
    ("players-one", _body(players=valid_players(1)), "players"),
    ("players-too-many", _body(players=valid_players(1001)), "players"),
    ("player-negative-salary", _body(players=[_player(salary=-1), _player(id="p9")]), "players"),
    ("player-missing-id", _body(players=[{"name": "x"}, _player()]), "players"),
    ("player-unknown-field", _body(players=[_player(age=30), _player(id="p9")]), "players"),
    ("player-nan", _body(players=[_player(projection=float("nan")), _player(id="p9")]), "players"),
    ("max-exposure-zero", _body(max_exposure=0), "max_exposure"),
    ("player-duplicate-id", _body(players=[_player(), _player()]), "players.1.id"),
    (
        "player-unknown-position",
        _body(players=[_player(positions=["PG"]), _player(id="p9")]),
        "players.0.positions",
    ),
    ("stack-nba", _body(sport="nba", stack={"qb_with": 1}), "stack"),
    ("lock-and-exclude", _body(locks=["p0"], excludes=["p0"]), "locks"),
    ("roi-without-contest", _body(selection="roi", n_scenarios=100), "contest"),
    ("contest-without-roi", _body(contest=CONTEST), "contest"),
    ("roi-without-scenarios", _body(selection="roi", contest=CONTEST), "n_scenarios"),
    (
        "roi-over-max-entries",
        _body(selection="roi", n_scenarios=10, n_lineups=3, contest={**CONTEST, "max_entries": 2}),
        "n_lineups",
    ),
    (
        "roi-bad-contest",
        _body(selection="roi", n_scenarios=10, contest={"field_size": 9}),
        "contest",
    ),
]


@pytest.mark.parametrize(
    ("body", "field"), [(b, f) for _, b, f in BAD_BODIES], ids=[i for i, _, _ in BAD_BODIES]
)
def test_invalid_body_is_400_and_creates_nothing(
    client: FlaskClient, store: JobStore, body: dict[str, Any], field: str
) -> None:
    """Each invalid body gets a 400 JSON error naming the field, and no job is created."""
    response = client.post("/optimize", json=body)

    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_request"
    assert field in response.json["error"]["details"]
    assert _queued(store) == 0


def test_non_object_json_is_400(client: FlaskClient, store: JobStore) -> None:
    """A JSON array instead of an object is refused."""
    response = client.post("/optimize", json=[1, 2])

    assert response.status_code == 400
    assert _queued(store) == 0


def test_malformed_json_is_400(client: FlaskClient) -> None:
    """A body that is not JSON at all gets the service's own 400 naming where it broke."""
    response = client.post("/optimize", data="{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json["error"]["code"] == "malformed_json"
    assert "line 1 column 2" in response.json["error"]["message"]
    assert "browser" not in response.json["error"]["message"]


def test_wrong_content_type_is_415(client: FlaskClient) -> None:
    """Form data is refused with 415."""
    response = client.post("/optimize", data={"slate_id": "x"})

    assert response.status_code == 415
    assert response.json["error"]["code"] == "unsupported_media_type"


def test_oversized_body_is_413(client: FlaskClient, app) -> None:
    """A body over MAX_CONTENT_LENGTH is refused with 413 before it is parsed."""
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post(
        "/optimize", data=b"{" + b" " * limit + b"}", content_type="application/json"
    )

    assert response.status_code == 413
    assert response.json["error"]["code"] == "request_entity_too_large"
    assert f"{limit} bytes" in response.json["error"]["message"]
    assert response.json["error"]["details"] == {"limit_bytes": limit}


def test_a_slate_that_was_never_uploaded_is_422(client: FlaskClient, store: JobStore) -> None:
    """A slate-only request names a slate the store does not hold: 422, no job."""
    response = client.post("/optimize", json={"slate_id": "main"})

    assert response.status_code == 422
    assert response.json["error"]["code"] == "slate_not_found"
    assert _queued(store) == 0


def test_same_idempotency_key_and_body_returns_the_same_job(
    client: FlaskClient, store: JobStore
) -> None:
    """A retried POST with the same key and body gets the original run_id; one job exists."""
    headers = {"Idempotency-Key": "order-42"}

    first = client.post("/optimize", json=_body(), headers=headers)
    second = client.post("/optimize", json=_body(), headers=headers)

    assert second.status_code == 202
    assert second.json["run_id"] == first.json["run_id"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert _queued(store) == 1


def test_same_idempotency_key_with_other_body_is_422(client: FlaskClient, store: JobStore) -> None:
    """Reusing a key for a different request is refused with 422, without the other run_id."""
    headers = {"Idempotency-Key": "order-43"}
    first = client.post("/optimize", json=_body(), headers=headers)

    second = client.post("/optimize", json=_body(n_lineups=5), headers=headers)

    assert second.status_code == 422
    assert second.json["error"]["code"] == "idempotency_key_reused"
    assert first.json["run_id"] not in second.get_data(as_text=True)
    assert _queued(store) == 1


def test_a_retry_by_slate_id_after_a_new_upload_replays_the_job(real_app: Flask) -> None:
    """The key covers the request as sent: re-uploading the slate it names (new projections)
    between a submit and its retry still replays the original job; another request under the
    key is still refused."""
    client = real_app.test_client()
    store = get_jobs(real_app).store()
    headers = {"Idempotency-Key": "order-46"}
    body = {"slate_id": "sunday", "n_lineups": 3}
    _upload_slate(client, "sunday", seed=1)
    first = client.post("/optimize", json=body, headers=headers)
    _upload_slate(client, "sunday", seed=2)

    retry = client.post("/optimize", json=body, headers=headers)
    other = client.post("/optimize", json={**body, "n_lineups": 4}, headers=headers)

    assert (first.status_code, retry.status_code) == (202, 202)
    assert retry.json["run_id"] == first.json["run_id"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert other.status_code == 422 and other.json["error"]["code"] == "idempotency_key_reused"
    assert _queued(store) == 1


def _upload_slate(client: FlaskClient, slate_id: str, seed: int) -> None:
    response = client.post(
        f"/slates?sport=nfl&slate_id={slate_id}",
        data=nfl_salary_csv(seed=seed).encode(),
        content_type="text/csv",
    )
    assert response.status_code == 201, response.json


def test_idempotency_keys_are_scoped_per_user(make_app) -> None:
    """With USER_ID_HEADER set, the same key from two users makes two jobs, and one user's
    key never answers with (or conflicts over) the other user's job."""
    client = make_app(user_id_header="X-User-ID").test_client()
    key = {"Idempotency-Key": "order-44"}

    alice = client.post("/optimize", json=_body(), headers={**key, "X-User-ID": "alice"})
    bob = client.post("/optimize", json=_body(n_lineups=5), headers={**key, "X-User-ID": "bob"})
    alice_again = client.post("/optimize", json=_body(), headers={**key, "X-User-ID": "alice"})

    assert (alice.status_code, bob.status_code) == (202, 202)
    assert bob.json["run_id"] != alice.json["run_id"]
    assert "Idempotent-Replayed" not in bob.headers
    assert alice_again.json["run_id"] == alice.json["run_id"]


def test_keys_without_a_user_stay_global(make_app) -> None:
    """Requests without the user header share one key space (as before the header existed)."""
    client = make_app(user_id_header="X-User-ID").test_client()
    key = {"Idempotency-Key": "order-45"}

    first = client.post("/optimize", json=_body(), headers=key)
    replay = client.post("/optimize", json=_body(), headers=key)
    with_user = client.post("/optimize", json=_body(), headers={**key, "X-User-ID": "carol"})

    assert replay.json["run_id"] == first.json["run_id"]
    assert with_user.json["run_id"] != first.json["run_id"]


def test_bad_idempotency_key_is_400(client: FlaskClient) -> None:
    """An Idempotency-Key with spaces or over 255 characters is refused."""
    response = client.post("/optimize", json=_body(), headers={"Idempotency-Key": "a b"})

    assert response.status_code == 400


def test_draining_instance_refuses_jobs_with_503(client: FlaskClient, app, store: JobStore) -> None:
    """While the drain flag is set, POST answers 503 with Retry-After; reads keep working."""
    accepted = client.post("/optimize", json=_body())
    from webapp.runtime.lifecycle import drain_flag

    drain_flag(app).set()
    drain_flag(app).CACHE_S = 0

    refused = client.post("/optimize", json=_body())

    assert refused.status_code == 503 and refused.headers["Retry-After"]
    assert client.get(f"/optimize/{accepted.json['run_id']}").status_code == 200
    assert _queued(store) == 1


def test_roi_selection_needs_ownership_to_model_the_field(
    client: FlaskClient, store: JobStore
) -> None:
    """selection "roi" on players without ownership is refused as no_ownership; with
    ownership the job is stored with its contest."""
    body = _body(selection="roi", n_scenarios=10, contest=CONTEST)
    owned = {**body, "players": [{**p, "ownership": 20.0} for p in body["players"]]}

    refused = client.post("/optimize", json=body)
    accepted = client.post("/optimize", json=owned)

    assert refused.status_code == 422 and refused.json["error"]["code"] == "no_ownership"
    assert accepted.status_code == 202, accepted.json
    assert store.get(accepted.json["run_id"]).input["contest"]["field_size"] == 100
