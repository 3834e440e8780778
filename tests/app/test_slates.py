"""POST /slates and GET /slates/<slate_id>, and submitting by slate id (on fakeredis)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.conftest import valid_players
from tests.support.dk_csv import game_type_csv, nfl_salary_csv
from webapp.jobs.extension import get_jobs
from webapp.jobs.store import JobStore

CSV = {"content_type": "text/csv"}


def _upload(client: FlaskClient, text: str, query: str = "sport=nfl"):
    return client.post(f"/slates?{query}", data=text.encode(), **CSV)


def test_upload_answers_what_the_slate_holds(client: FlaskClient) -> None:
    """A real-size salary file is stored (Redis without Neo4j) and summarized."""
    response = _upload(client, nfl_salary_csv(), "sport=nfl&slate_id=week6")

    assert response.status_code == 201
    assert response.headers["Location"] == "/slates/week6"
    body = response.json
    assert (body["slate_id"], body["players"], body["games"]) == ("week6", 456, 12)
    assert (body["first_lock"], body["last_lock"]) == (
        "2024-10-13T17:00:00Z",
        "2024-10-13T20:25:00Z",
    )
    assert body["store"] == "redis"


def test_an_uploaded_slate_reads_back_with_game_times(client: FlaskClient) -> None:
    """GET returns every player with his game time; an id is minted when none is given."""
    slate_id = _upload(client, nfl_salary_csv()).json["slate_id"]

    body = client.get(f"/slates/{slate_id}").json

    assert len(body["players"]) == 456 and body["sport"] == "nfl"
    assert body["players"][0]["game_time"] == "2024-10-13T17:00:00Z"


def test_a_bad_file_is_400_naming_line_and_column(client: FlaskClient) -> None:
    """A salary that is not a number fails the upload with its line and column."""
    lines = nfl_salary_csv().splitlines()
    fields = lines[5].split(",")
    fields[5] = "lots"
    lines[5] = ",".join(fields)

    response = _upload(client, "\n".join(lines))

    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_slate_file"
    assert response.json["error"]["details"] == {"line": 6, "column": "Salary"}


def test_an_unknown_sport_or_body_type_is_refused(client: FlaskClient) -> None:
    """sport is one the game types name; the body must be CSV."""
    assert _upload(client, nfl_salary_csv(), "sport=cricket").status_code == 400
    as_json = client.post("/slates?sport=nfl", json={"players": []})
    assert as_json.status_code == 415
    assert as_json.json["error"]["code"] == "unsupported_media_type"


def test_an_unknown_sport_is_one_error_wherever_it_is_sent(client: FlaskClient) -> None:
    """cricket in the upload's query and in a request body: the same code and the same
    details."""
    upload = _upload(client, nfl_salary_csv(), "sport=cricket")
    submit = client.post("/optimize", json={"sport": "cricket", "players": valid_players()})

    assert (upload.status_code, submit.status_code) == (400, 400)
    assert upload.json["error"]["code"] == submit.json["error"]["code"] == "invalid_request"
    assert upload.json["error"]["details"] == {"sport": submit.json["error"]["details"]["sport"]}


def test_an_unknown_slate_is_404(client: FlaskClient) -> None:
    """Reading a slate that was never uploaded (or expired) is 404 slate_not_found."""
    response = client.get("/slates/nope")

    assert response.status_code == 404
    assert response.json["error"]["code"] == "slate_not_found"


def test_submit_by_slate_id_reads_the_players_at_submit(
    client: FlaskClient, store: JobStore
) -> None:
    """A submission naming an uploaded slate stores its players and sport in the job."""
    slate_id = _upload(client, nfl_salary_csv(), "sport=nfl&slate_id=main").json["slate_id"]

    response = client.post("/optimize", json={"slate_id": slate_id, "n_lineups": 3})

    assert response.status_code == 202
    record = store.get(response.json["run_id"])
    assert len(record.input["players"]) == 456 and record.input["sport"] == "nfl"
    assert record.metadata["n_players"] == 456


def test_submit_with_the_wrong_sport_is_422(client: FlaskClient) -> None:
    """Asking for nba on an nfl slate is refused with sport_mismatch."""
    _upload(client, nfl_salary_csv(), "sport=nfl&slate_id=main")

    response = client.post("/optimize", json={"slate_id": "main", "sport": "nba"})

    assert response.status_code == 422
    assert response.json["error"]["code"] == "sport_mismatch"


def test_inline_players_need_no_slate_id(client: FlaskClient) -> None:
    """slate_id is optional when the players are in the request."""
    response = client.post("/optimize", json={"players": valid_players()})

    assert response.status_code == 202


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("sport=nfl&contest_type=tiers", "contest_type"),
        ("sport=mlb&contest_type=showdown", "contest_type"),
    ],
    ids=["unknown-contest-type", "mlb-has-no-showdown"],
)
def test_a_game_type_the_table_lacks_is_400(client: FlaskClient, query: str, field: str) -> None:
    """contest_type is classic or showdown, and only for the sports that offer it."""
    response = _upload(client, game_type_csv("nfl", "showdown"), query)

    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_request"
    assert field in response.json["error"]["details"]


def test_a_showdown_slate_names_its_game_type_and_fills_the_request(client: FlaskClient) -> None:
    """A showdown upload keeps its contest type; a submit naming only the slate takes it, one
    asking for classic is refused with sport_mismatch."""
    _upload(client, game_type_csv("nba", "showdown"), "sport=nba&contest_type=showdown&slate_id=g1")

    plain = client.post("/optimize", json={"slate_id": "g1"})
    classic = client.post("/optimize", json={"slate_id": "g1", "contest_type": "classic"})

    assert client.get("/slates/g1").json["contest_type"] == "showdown"
    assert plain.status_code == 202
    record = get_jobs(client.application).store().get(plain.json["run_id"], with_input=True)
    assert (record.input["sport"], record.input["contest_type"]) == ("nba", "showdown")
    assert classic.status_code == 422 and classic.json["error"]["code"] == "sport_mismatch"


def test_options_of_the_slates_game_type_are_checked_against_it(client: FlaskClient) -> None:
    """A submit naming a showdown slate but no contest_type is checked as showdown: the NFL
    classic stack is refused there."""
    _upload(client, game_type_csv("nfl", "showdown"), "sport=nfl&contest_type=showdown&slate_id=g2")

    response = client.post("/optimize", json={"slate_id": "g2", "stack": {"qb_with": 1}})

    assert response.status_code == 400 and "stack" in response.json["error"]["details"]
