"""Every DraftKings game type end to end: its salary file uploads, its lineups are valid and the
best is the optimum of an independent MILP, and its upload file carries DraftKings' header."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import fakeredis
import pytest
from flask.testing import FlaskClient

from tests.conftest import close_app
from tests.support.dk_csv import game_type_csv
from tests.support.fake_redis import fake_connection_kwargs
from tests.unit.optimizer.milp import best_total
from tests.unit.optimizer.validator import lineup_problems
from webapp import create_app
from webapp.clients.redis_client import get_redis
from webapp.config import Settings
from webapp.jobs.extension import get_jobs

# (sport, contest_type, DraftKings' upload header, players in the file)
GAME_TYPES = [
    ("nfl", "showdown", "CPT,FLEX,FLEX,FLEX,FLEX,FLEX", 68),
    ("nba", "showdown", "CPT,UTIL,UTIL,UTIL,UTIL,UTIL", 52),
    ("mlb", "classic", "P,P,C,1B,2B,3B,SS,OF,OF,OF", 216),
    ("nhl", "classic", "C,C,W,W,W,D,D,G,UTIL", 200),
]
IDS = [f"{sport}-{contest}" for sport, contest, _, _ in GAME_TYPES]


class _Context:
    checkpoint = None

    def progress(self, fraction: float, phase: str = "") -> None:
        """Progress goes nowhere."""


@pytest.fixture
def dk_client(settings: Settings, fake_server: fakeredis.FakeServer) -> Iterator[FlaskClient]:
    """The service with its real optimize kind and submit checks, on fakeredis."""
    app = create_app(settings)
    get_redis(app).extra_kwargs = fake_connection_kwargs(fake_server)
    yield app.test_client()
    close_app(app)


def _upload(client: FlaskClient, sport: str, contest: str) -> list[dict[str, Any]]:
    """Upload the game type's salary file as slate `s`; its players as stored."""
    response = client.post(
        f"/slates?sport={sport}&contest_type={contest}&slate_id=s",
        data=game_type_csv(sport, contest),
        content_type="text/csv",
    )
    assert response.status_code == 201, response.json
    assert response.json["contest_type"] == contest
    return client.get("/slates/s").json["players"]


def _run(client: FlaskClient, body: dict[str, Any]) -> str:
    """Submit, run the job here and store its result; the run id."""
    response = client.post("/optimize", json=body)
    assert response.status_code == 202, response.json
    run_id = response.json["run_id"]
    jobs = get_jobs(client.application)
    store = jobs.store()
    claim = store.claim_next("test")
    record = store.get(run_id, with_input=True)
    store.complete(run_id, claim.token, jobs.kinds["optimize"](record.input, _Context()))
    return run_id


def _lineups(client: FlaskClient, run_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/optimize/{run_id}/result")
    assert response.status_code == 200, response.json
    return response.json["result"]["lineups"]


@pytest.mark.parametrize(("sport", "contest", "header", "count"), GAME_TYPES, ids=IDS)
def test_five_exact_lineups_are_valid_and_the_best_is_the_milp_optimum(
    dk_client: FlaskClient, sport: str, contest: str, header: str, count: int
) -> None:
    """A DraftKings salary file uploads; 5 exact lineups obey the game type's rules, come best
    first, and the first equals the optimum of an independent MILP."""
    players = _upload(dk_client, sport, contest)
    body = {"slate_id": "s", "sport": sport, "contest_type": contest, "n_lineups": 5}

    lineups = _lineups(dk_client, _run(dk_client, {**body, "n_scenarios": 0}))

    by_id = {p["id"]: p for p in players}
    assert len(players) == count and len(lineups) == 5
    assert [lineup_problems(lineup, by_id, sport, contest) for lineup in lineups] == [[]] * 5
    totals = [lineup["projection"] for lineup in lineups]
    assert totals == sorted(totals, reverse=True)
    assert totals[0] == pytest.approx(best_total(players, sport, contest), abs=1e-3)


@pytest.mark.parametrize(("sport", "contest", "header", "count"), GAME_TYPES, ids=IDS)
def test_the_upload_file_carries_draftkings_header_and_the_slot_rows_ids(
    dk_client: FlaskClient, sport: str, contest: str, header: str, count: int
) -> None:
    """result.csv has the game type's header, and each id is one a player of that slot has
    in the salary file (in showdown the CPT column holds CPT rows' ids)."""
    by_id = {p["id"]: p for p in _upload(dk_client, sport, contest)}
    run_id = _run(dk_client, {"slate_id": "s", "n_lineups": 3, "n_scenarios": 0})

    rows = list(csv.reader(io.StringIO(dk_client.get(f"/optimize/{run_id}/result.csv").text)))

    assert ",".join(rows[0]) == header and len(rows) == 4
    for row in rows[1:]:
        for slot, player_id in zip(rows[0], row, strict=True):
            kind = by_id[player_id].get("roster_position")
            assert kind is None or kind == slot


@pytest.mark.slow
@pytest.mark.parametrize(("sport", "contest", "header", "count"), GAME_TYPES, ids=IDS)
def test_simulated_lineups_of_1000_scenarios_are_valid(
    dk_client: FlaskClient, sport: str, contest: str, header: str, count: int
) -> None:
    """The same with n_scenarios 1,000: the job completes with 5 valid lineups."""
    players = _upload(dk_client, sport, contest)
    body = {"slate_id": "s", "n_lineups": 5, "n_scenarios": 1000, "seed": 3}

    lineups = _lineups(dk_client, _run(dk_client, body))

    by_id = {p["id"]: p for p in players}
    assert len(lineups) == 5
    assert [lineup_problems(lineup, by_id, sport, contest) for lineup in lineups] == [[]] * 5
    assert all(lineup["mean"] is not None for lineup in lineups)
