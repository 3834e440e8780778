"""PUT /slates/<slate_id>/projections: a projections CSV merged into an uploaded slate, and the
same columns read from the salary file itself."""

from __future__ import annotations

import csv
import io

from flask.testing import FlaskClient

from tests.support.dk_csv import nfl_salary_csv

CSV = {"content_type": "text/csv"}


def _upload(client: FlaskClient, text: str | None = None, slate_id: str = "week6") -> list[dict]:
    response = client.post(
        f"/slates?sport=nfl&slate_id={slate_id}", data=(text or nfl_salary_csv()).encode(), **CSV
    )
    assert response.status_code == 201, response.json
    return client.get(f"/slates/{slate_id}").json["players"]


def _put(client: FlaskClient, text: str, slate_id: str = "week6"):
    return client.put(f"/slates/{slate_id}/projections", data=text.encode(), **CSV)


def test_rows_merge_by_id_or_by_name_and_team(client: FlaskClient) -> None:
    """A row with a DK ID sets that player; a row without one finds him by Name and Team;
    values not in the row stay as they were."""
    players = _upload(client)
    first, second = players[0], players[1]
    text = (
        "DK ID,Name,Team,Projection,StdDev,Ownership,Field Projection\n"
        f"{first['id']},,,21.5,6.5,12.5%,20\n"
        f",{second['name'].upper()},{second['team']},9.25,,3,\n"
    )

    response = _put(client, text)
    after = {p["id"]: p for p in client.get("/slates/week6").json["players"]}

    assert response.status_code == 200, response.json
    assert response.json["matched"] == 2 and response.json["unmatched"] == []
    assert after[first["id"]]["projection"] == 21.5 and after[first["id"]]["stdev"] == 6.5
    assert after[first["id"]]["ownership"] == 12.5
    assert after[first["id"]]["field_projection"] == 20.0
    assert after[second["id"]]["projection"] == 9.25 and after[second["id"]]["ownership"] == 3.0
    assert after[second["id"]]["stdev"] == second["stdev"]


def test_the_answer_names_rows_that_matched_nobody_and_players_left_unprojected(
    client: FlaskClient,
) -> None:
    """Unknown ids and names come back with their lines; every player no row projected is
    listed."""
    players = _upload(client)
    text = (
        "DK ID,Name,Team,Projection\n"
        f"{players[0]['id']},,,10\n"
        "99999999,,,5\n"
        ",Nobody Here,XXX,4\n"
        f",,,3\n"
    )

    body = _put(client, text).json

    assert body["matched"] == 1 and body["unmatched_count"] == 3
    assert [row["line"] for row in body["unmatched"]] == [3, 4, 5]
    assert body["unmatched"][0]["id"] == "99999999"
    assert len(body["unprojected"]) == len(players) - 1
    assert players[0]["id"] not in body["unprojected"]


def test_an_ownership_only_file_leaves_every_player_unprojected(client: FlaskClient) -> None:
    """A file may carry only Ownership: it merges, and no player counts as projected by it."""
    players = _upload(client)

    body = _put(client, f"ID,Own\n{players[0]['id']},7\n").json

    assert body["matched"] == 1 and len(body["unprojected"]) == len(players)


def test_bad_files_are_400_naming_line_and_column(client: FlaskClient) -> None:
    """A value that is not a number, a header with no way to match players or nothing to
    merge: invalid_projections_file with its line and column."""
    players = _upload(client)

    bad_number = _put(client, f"DK ID,Projection\n{players[0]['id']},lots\n").json["error"]
    no_key = _put(client, "Player,Projection\nx,1\n").json["error"]
    no_value = _put(client, "DK ID,Salary\n1,2\n").json["error"]

    assert bad_number["code"] == "invalid_projections_file"
    assert bad_number["details"] == {"line": 2, "column": "Projection"}
    assert no_key["code"] == no_value["code"] == "invalid_projections_file"


def test_a_value_out_of_bounds_is_422_and_changes_nothing(client: FlaskClient) -> None:
    """An ownership over 100 breaks a player's bounds: 422 invalid_player, slate unchanged."""
    players = _upload(client)

    response = _put(client, f"DK ID,Ownership\n{players[0]['id']},140\n")

    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid_player"
    assert response.json["error"]["details"] == {"line": 2, "column": "Ownership"}
    assert client.get("/slates/week6").json["players"][0]["ownership"] is None


def test_an_unknown_slate_or_body_type_is_refused(client: FlaskClient) -> None:
    """404 for a slate never uploaded; 415 for a body that is not CSV."""
    assert _put(client, "DK ID,Projection\n1,2\n", slate_id="nope").status_code == 404
    as_json = client.put("/slates/nope/projections", json={"x": 1})
    assert as_json.status_code == 415


def test_the_salary_file_may_carry_the_same_columns(client: FlaskClient) -> None:
    """Projection, StdDev, Ownership and Field Projection columns in the salary file itself
    are read as the PUT reads them."""
    rows = list(csv.reader(io.StringIO(nfl_salary_csv())))
    header, body = rows[0], rows[1:]
    extra = ["Projection", "StdDev", "Ownership", "Field Projection"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*header, *extra])
    for k, row in enumerate(body):
        writer.writerow([*row, "12.5", "4", f"{k % 7}%", "11"])

    players = _upload(client, out.getvalue(), slate_id="with-columns")

    assert {p["projection"] for p in players} == {12.5}
    assert players[3]["ownership"] == 3.0 and players[3]["field_projection"] == 11.0
    assert players[3]["stdev"] == 4.0


def test_a_contest_runs_on_ownership_put_into_a_slate(client: FlaskClient) -> None:
    """Before the PUT a contest on the uploaded slate is refused for lack of ownership; after
    it, the same request is accepted."""
    players = _upload(client)
    lineup = _cheapest_lineup(players)
    text = "DK ID,Ownership\n" + "".join(f"{p['id']},{1.5}\n" for p in players)
    contest = {
        "field_size": 100, "entry_fee": 1, "n_sims": 10,
        "payouts": [{"min_rank": 1, "max_rank": 10, "prize": 8}],
    }  # fmt: skip
    request = {"slate_id": "week6", "lineups": [lineup], "contest": contest}

    before = client.post("/contests", json=request)
    _put(client, text)
    after = client.post("/contests", json=request)

    assert before.status_code == 422 and before.json["error"]["code"] == "no_ownership"
    assert after.status_code == 202, after.json


def _cheapest_lineup(players: list[dict]) -> list[str]:
    wanted = {"QB": 1, "RB": 3, "WR": 3, "TE": 1, "DST": 1}
    lineup = []
    for player in sorted(players, key=lambda p: (p["salary"], p["id"])):
        position = player["positions"][0]
        if wanted.get(position, 0) > 0:
            wanted[position] -= 1
            lineup.append(player["id"])
    return lineup
