"""GET /optimize/<run_id>/result.csv: DraftKings' upload format."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.conftest import valid_players
from webapp.jobs.store import JobStore
from webapp.lineups.upload_csv import upload_header
from webapp.optimizer.rules import game_type

NFL_SLOTS = ["QB", "RB", "RB", "WR", "WR", "WR", "TE", "FLEX", "DST"]


def _complete(client: FlaskClient, store: JobStore, lineups: list[dict], sport: str) -> str:
    body = {"players": valid_players(), "sport": sport}
    run_id = client.post("/optimize", json=body).json["run_id"]
    claim = store.claim_next("test")
    store.complete(run_id, claim.token, {"lineups": lineups, "warnings": []})
    return run_id


@pytest.mark.parametrize(
    ("sport", "header"),
    [
        ("nfl", "QB,RB,RB,WR,WR,WR,TE,FLEX,DST"),
        ("nba", "PG,SG,SF,PF,C,G,F,UTIL"),
    ],
)
def test_upload_header_is_draftkings_slot_order(sport: str, header: str) -> None:
    """The header lists the sport's roster slots as DraftKings' upload template does."""
    assert ",".join(upload_header(game_type(sport))) == header


def test_one_row_of_ids_per_lineup_with_a_file_name(client: FlaskClient, store: JobStore) -> None:
    """Each lineup becomes a row of player ids under its slots, best lineup first."""
    lineups = [
        {"players": [{"slot": slot, "id": f"{n}{i}"} for i, slot in enumerate(NFL_SLOTS)]}
        for n in (1, 2)
    ]
    run_id = _complete(client, store, lineups, "nfl")

    response = client.get(f"/optimize/{run_id}/result.csv")

    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="lineups-{run_id}.csv"'
    )
    assert response.text.splitlines() == [
        ",".join(NFL_SLOTS),
        "10,11,12,13,14,15,16,17,18",
        "20,21,22,23,24,25,26,27,28",
    ]


def test_players_listed_out_of_slot_order_land_in_their_slots(
    client: FlaskClient, store: JobStore
) -> None:
    """The row follows the header, whatever order the lineup lists its players in."""
    players = [{"slot": slot, "id": f"x{i}"} for i, slot in enumerate(NFL_SLOTS)]
    run_id = _complete(client, store, [{"players": players[::-1]}], "nfl")

    row = client.get(f"/optimize/{run_id}/result.csv").text.splitlines()[1].split(",")

    assert row[0] == "x0" and row[6:] == ["x6", "x7", "x8"]
    assert set(row[1:3]) == {"x1", "x2"} and set(row[3:6]) == {"x3", "x4", "x5"}


def test_a_pending_job_has_no_csv_yet(client: FlaskClient) -> None:
    """Before completion the CSV answers like the JSON result: 409 result_not_ready."""
    run_id = client.post("/optimize", json={"players": valid_players()}).json["run_id"]

    response = client.get(f"/optimize/{run_id}/result.csv")

    assert response.status_code == 409
    assert response.json["error"]["code"] == "result_not_ready"
