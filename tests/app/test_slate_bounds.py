"""A slate keeps the bounds of a request's players, uploaded or named by slate_id (fakeredis).

The bounds are `webapp.api.player_schema`'s: at most MAX_PLAYERS players, salaries and
projections in range and finite. An upload that breaks one names the line, the column and the
rule; a stored slate that breaks one (stored before these checks, or loaded into Neo4j by other
means) is refused at submit, and no job is created.
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bench.slates import nfl_slate
from tests.support.dk_csv import nfl_salary_csv, with_players
from webapp.api.player_schema import MAX_PLAYERS
from webapp.jobs.store import JobStore
from webapp.slates.store import get_slate_store


def _upload(client: FlaskClient, text: str, slate_id: str):
    return client.post(
        f"/slates?sport=nfl&slate_id={slate_id}", data=text.encode(), content_type="text/csv"
    )


def _with_field(text: str, line: int, column: str, value: str) -> str:
    """`text` with one field of one line (1 = the header) replaced."""
    lines = text.split("\r\n")
    header = lines[0].split(",")
    fields = lines[line - 1].split(",")
    fields[header.index(column)] = value
    lines[line - 1] = ",".join(fields)
    return "\r\n".join(lines)


def test_a_file_of_max_players_uploads(client: FlaskClient) -> None:
    """MAX_PLAYERS players are a slate, as they are a request."""
    response = _upload(client, with_players(nfl_salary_csv(), MAX_PLAYERS), "full")

    assert response.status_code == 201
    assert response.json["players"] == MAX_PLAYERS


def test_an_upload_over_max_players_is_413_naming_the_line(client: FlaskClient) -> None:
    """The first row over MAX_PLAYERS fails the upload (413), and nothing is stored."""
    response = _upload(client, with_players(nfl_salary_csv(), MAX_PLAYERS + 1), "big")

    assert response.status_code == 413
    error = response.json["error"]
    assert error["code"] == "too_many_players"
    assert error["details"] == {"line": MAX_PLAYERS + 2, "column": None, "limit": MAX_PLAYERS}
    assert f"at most {MAX_PLAYERS} players" in error["message"]
    assert client.get("/slates/big").status_code == 404


@pytest.mark.parametrize(
    ("column", "value", "rule"),
    [
        ("Salary", "250000", "less than or equal to 100000"),
        ("Salary", "-5", "greater than or equal to 0"),
        ("AvgPointsPerGame", "nan", "nan or infinity"),
        ("AvgPointsPerGame", "inf", "nan or infinity"),
        ("AvgPointsPerGame", "5000", "less than or equal to 1000"),
    ],
    ids=["salary-high", "salary-negative", "nan", "inf", "projection-high"],
)
def test_an_upload_with_a_player_out_of_bounds_is_422_naming_line_column_and_rule(
    client: FlaskClient, column: str, value: str, rule: str
) -> None:
    """A value the request schema would refuse fails the upload with its line, column and
    rule, and nothing is stored."""
    text = _with_field(nfl_salary_csv(), 6, column, value)

    response = _upload(client, text, "bad")

    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "invalid_player"
    assert error["details"] == {"line": 6, "column": column}
    assert rule in error["message"] and error["message"].startswith(f"line 6, column {column!r}")
    assert client.get("/slates/bad").status_code == 404


def _store_slate(app: Flask, slate_id: str, players: list[dict]) -> None:
    """A slate written to the store directly, as an older version or a Neo4j load could."""
    get_slate_store(app).save(slate_id, "nfl", players, tenant=None)


def test_submit_by_a_slate_over_max_players_is_422(
    app: Flask, client: FlaskClient, store: JobStore
) -> None:
    """A stored slate of more than MAX_PLAYERS players is refused at submit; no job exists."""
    base = nfl_slate()
    players = [{**base[i % len(base)], "id": f"p{i}"} for i in range(MAX_PLAYERS * 12)]
    _store_slate(app, "huge", players)

    response = client.post("/optimize", json={"slate_id": "huge", "n_lineups": 1})

    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "too_many_players"
    assert error["details"] == {
        "slate_id": "huge",
        "players": MAX_PLAYERS * 12,
        "limit": MAX_PLAYERS,
    }
    assert store.queue_stats().pending == 0


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("salary", 1_000_000, "less than or equal to 100000"),
        ("projection", None, "Field may not be null"),  # how a nan read from a file was stored
    ],
    ids=["salary", "null-projection"],
)
def test_submit_by_a_slate_with_a_player_out_of_bounds_is_422(
    app: Flask, client: FlaskClient, store: JobStore, field: str, value: object, rule: str
) -> None:
    """A stored player the request schema would refuse is named, with the rule, at submit."""
    players = nfl_slate()
    players[7] = {**players[7], field: value}
    _store_slate(app, "odd", players)

    response = client.post("/optimize", json={"slate_id": "odd", "n_lineups": 1})

    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "invalid_player"
    assert error["details"]["player"] == players[7]["id"]
    assert rule in error["message"] and players[7]["id"] in error["message"]
    assert store.queue_stats().pending == 0
