"""Contests beside tenants and game types: a contest job and the optimize job it enters are
owned as optimize jobs are, projections are merged into the caller's own slates, and only the
game types the contest simulation models (NFL and NBA classic) are taken."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bench.slates import nfl_slate, with_ownership
from tests.support.dk_csv import game_type_csv, nfl_salary_csv
from tests.unit.contest.conftest import PAYOUTS_200
from webapp.jobs.extension import get_jobs
from webapp.optimizer import OptimizeOptions, optimize
from webapp.tenants.auth import get_auth

CSV = {"content_type": "text/csv"}
CONTEST = {"field_size": 200, "entry_fee": 5, "payouts": PAYOUTS_200, "n_sims": 50}


@pytest.fixture
def keyed_app(make_app: Callable[..., Flask]) -> Flask:
    """The service with AUTH_MODE=api_key."""
    return make_app(auth_mode="api_key")


def _key(app: Flask, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {get_auth(app).api_keys.create(name)}"}


@pytest.fixture(scope="module")
def players() -> list[dict]:
    """A four-game NFL slate with projected ownership."""
    return with_ownership(nfl_slate(seed=7, games=4), "nfl")


@pytest.fixture(scope="module")
def lineups(players: list[dict]) -> list[list[str]]:
    """The three best lineups of the slate by projection."""
    result = optimize(players, OptimizeOptions(n_lineups=3, n_scenarios=0))
    return [[entry["id"] for entry in lineup["players"]] for lineup in result["lineups"]]


def _complete_optimize_job(
    app: Flask, client: FlaskClient, headers: dict, players: list[dict], lineups: list
) -> str:
    body = {"slate_id": "noop", "players": players, "n_scenarios": 0}
    response = client.post("/optimize", json=body, headers=headers)
    assert response.status_code == 202, response.json
    run_id = response.json["run_id"]
    store = get_jobs(app).store()
    rows = [{"players": [{"slot": "X", "id": i} for i in ids]} for ids in lineups]
    store.complete(run_id, store.claim_next("test").token, {"lineups": rows})
    return run_id


def test_another_tenants_contest_job_reads_as_not_found(
    keyed_app: Flask, players: list[dict], lineups: list[list[str]]
) -> None:
    """Status, input, result and cancel of another tenant's contest job are 404; its owner
    reads it."""
    client = keyed_app.test_client()
    acme, globex = _key(keyed_app, "acme"), _key(keyed_app, "globex")
    body = {"players": players, "lineups": lineups, "contest": CONTEST}
    run_id = client.post("/contests", json=body, headers=acme).json["run_id"]

    owner = client.get(f"/contests/{run_id}", headers=acme)
    reads = [
        client.get(f"/contests/{run_id}", headers=globex),
        client.get(f"/contests/{run_id}/input", headers=globex),
        client.get(f"/contests/{run_id}/result", headers=globex),
        client.delete(f"/contests/{run_id}", headers=globex),
    ]

    assert owner.status_code == 200
    assert [r.status_code for r in reads] == [404, 404, 404, 404]
    assert client.get(f"/contests/{run_id}", headers=acme).json["status"] == "pending"


def test_from_run_id_of_another_tenants_run_is_as_if_it_did_not_exist(
    keyed_app: Flask, players: list[dict], lineups: list[list[str]]
) -> None:
    """Another tenant's complete optimize job answers run_not_found, word for word as a run id
    nobody has; its owner enters its lineups."""
    client = keyed_app.test_client()
    acme, globex = _key(keyed_app, "acme"), _key(keyed_app, "globex")
    run_id = _complete_optimize_job(keyed_app, client, acme, players, lineups)
    unknown = "01ARZ3NDEKTSV4RRFFQ69G5FAV"

    theirs = client.post(
        "/contests", json={"from_run_id": run_id, "contest": CONTEST}, headers=globex
    )
    nobodys = client.post(
        "/contests", json={"from_run_id": unknown, "contest": CONTEST}, headers=globex
    )
    own = client.post("/contests", json={"from_run_id": run_id, "contest": CONTEST}, headers=acme)

    assert theirs.status_code == 422 and theirs.json["error"]["code"] == "run_not_found"
    assert theirs.json["error"]["message"] == nobodys.json["error"]["message"].replace(
        unknown, run_id
    )
    assert own.status_code == 202, own.json


def test_projections_are_merged_into_the_callers_own_slate(keyed_app: Flask) -> None:
    """Two tenants' slates of one id are apart: one's PUT changes only its own, and a tenant
    without that slate gets 404."""
    client = keyed_app.test_client()
    acme, globex, initech = (_key(keyed_app, n) for n in ("acme", "globex", "initech"))
    for headers in (acme, globex):
        uploaded = client.post(
            "/slates?sport=nfl&slate_id=week6",
            data=nfl_salary_csv().encode(),
            headers=headers,
            **CSV,
        )
        assert uploaded.status_code == 201, uploaded.json
    player = client.get("/slates/week6", headers=acme).json["players"][0]
    text = f"DK ID,Ownership\n{player['id']},33\n"

    merged = client.put("/slates/week6/projections", data=text.encode(), headers=acme, **CSV)
    missing = client.put("/slates/week6/projections", data=text.encode(), headers=initech, **CSV)

    def ownership(headers: dict) -> Any:
        found = client.get("/slates/week6", headers=headers).json["players"]
        return next(p for p in found if p["id"] == player["id"])["ownership"]

    assert merged.status_code == 200 and merged.json["matched"] == 1
    assert missing.status_code == 404
    assert ownership(acme) == 33.0 and ownership(globex) != 33.0


def _upload_showdown(client: FlaskClient) -> list[dict]:
    response = client.post(
        "/slates?sport=nfl&contest_type=showdown&slate_id=mnf",
        data=game_type_csv("nfl", "showdown").encode(),
        **CSV,
    )
    assert response.status_code == 201, response.json
    return client.get("/slates/mnf").json["players"]


def test_a_showdown_slate_keeps_its_game_type_and_a_name_sets_both_rows(
    client: FlaskClient,
) -> None:
    """A projections PUT into a showdown slate keeps it showdown; a row found by Name and
    Team sets the player's CPT and FLEX rows alike."""
    players = _upload_showdown(client)
    first = players[0]
    text = f"Name,Team,Projection\n{first['name']},{first['team']},31.5\n"

    response = client.put("/slates/mnf/projections", data=text.encode(), **CSV)
    after = client.get("/slates/mnf").json
    rows = [p for p in after["players"] if p["name"] == first["name"]]

    assert response.status_code == 200, response.json
    assert after["contest_type"] == "showdown" and response.json["contest_type"] == "showdown"
    assert sorted(p["roster_position"] for p in rows) == ["CPT", "FLEX"]
    assert [p["projection"] for p in rows] == [31.5, 31.5]


def test_contests_and_roi_take_only_the_game_types_they_simulate(client: FlaskClient) -> None:
    """A contest on a showdown slate, and selection "roi" on a showdown or MLB request, are
    400 naming contest_type; naming classic for a showdown slate is sport_mismatch."""
    players = _upload_showdown(client)
    lineup = [p["id"] for p in players[:9]]  # a classic size: the slate is read
    on_slate = {"slate_id": "mnf", "lineups": [lineup], "contest": CONTEST}
    roi = {"selection": "roi", "contest": CONTEST, "n_scenarios": 10}

    contest = client.post("/contests", json=on_slate)
    named = client.post("/contests", json={**on_slate, "contest_type": "classic"})
    showdown_roi = client.post("/optimize", json={"slate_id": "mnf", **roi})
    mlb_roi = client.post("/optimize", json={"slate_id": "x", "sport": "mlb", **roi})
    mlb_contest = client.post("/contests", json={**on_slate, "sport": "mlb"})

    for response in (contest, showdown_roi, mlb_roi):
        assert response.status_code == 400, response.json
        assert "contest_type" in response.json["error"]["details"], response.json
    assert named.status_code == 422 and named.json["error"]["code"] == "sport_mismatch"
    assert mlb_contest.status_code == 400 and "sport" in mlb_contest.json["error"]["details"]
