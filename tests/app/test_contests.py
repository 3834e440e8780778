"""POST /contests, GET /contests/<run_id> and /result: validation, refusals, a real run."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bench.slates import nfl_slate, with_ownership
from tests.support.dk_csv import nfl_salary_csv
from tests.support.waiting import wait_until
from tests.unit.contest.conftest import PAYOUTS_200
from webapp.api.response_schemas import ContestResultResponseSchema
from webapp.jobs.extension import get_jobs
from webapp.jobs.store import JobStore
from webapp.optimizer import OptimizeOptions, optimize

UNKNOWN = "01ARZ3NDEKTSV4RRFFQ69G5FAV"


@pytest.fixture
def body(small_nfl: list[dict], best_lineups: list[list[str]]) -> dict[str, Any]:
    """A small contest of three of the small slate's best lineups."""
    return {
        "players": small_nfl,
        "sport": "nfl",
        "lineups": best_lineups[:3],
        "contest": {
            "field_size": 200,
            "entry_fee": 5,
            "max_entries": 20,
            "payouts": PAYOUTS_200,
            "n_sims": 300,
            "seed": 3,
            "optimal_sims": 20,
        },
    }


@pytest.fixture(scope="module")
def small_nfl() -> list[dict]:
    """A four-game NFL slate with projected ownership."""
    return with_ownership(nfl_slate(seed=7, games=4), "nfl")


@pytest.fixture(scope="module")
def best_lineups(small_nfl: list[dict]) -> list[list[str]]:
    """The six best lineups of the slate by projection."""
    result = optimize(small_nfl, OptimizeOptions(n_lineups=6, n_scenarios=0))
    return [[entry["id"] for entry in lineup["players"]] for lineup in result["lineups"]]


def _with(body: dict[str, Any], **contest: Any) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    changed["contest"].update(contest)
    return changed


def test_a_contest_is_accepted_and_stored(client: FlaskClient, store: JobStore, body) -> None:
    """202 with links under /contests; the job is a `contest` job holding players and lineups."""
    response = client.post("/contests", json=body)

    assert response.status_code == 202, response.json
    run_id = response.json["run_id"]
    assert response.headers["Location"] == f"/contests/{run_id}"
    assert response.json["links"]["result"] == f"/contests/{run_id}/result"
    record = store.get(run_id)
    assert record.kind == "contest" and record.status == "pending"
    assert record.input["lineups"] == body["lineups"]
    assert record.input["contest"]["n_sims"] == 300
    assert client.get(f"/contests/{run_id}").json["status"] == "pending"


def test_jobs_are_read_only_under_their_own_collection(client: FlaskClient, body) -> None:
    """A contest job is not found under /optimize, nor an optimize job under /contests."""
    contest_id = client.post("/contests", json=body).json["run_id"]
    players = [{**p, "ownership": None} for p in body["players"][:2]]
    optimize_id = client.post("/optimize", json={"slate_id": "noop", "players": players}).json[
        "run_id"
    ]

    answers = [
        client.get(f"/optimize/{contest_id}").status_code,
        client.get(f"/optimize/{contest_id}/result").status_code,
        client.get(f"/contests/{optimize_id}").status_code,
        client.delete(f"/contests/{optimize_id}").status_code,
        client.get(f"/contests/{UNKNOWN}/result").status_code,
    ]

    assert answers == [404, 404, 404, 404, 404]


def _bad(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    where = changed
    *parents, last = path.split(".")
    for name in parents:
        where = where[name]
    where[last] = value
    return changed


OVERLAP = {"min_rank": 5, "max_rank": 6, "prize": 1}
BAD = [
    ("n_sims-over", "contest.n_sims", 100_001, "contest"),
    ("n_sims-zero", "contest.n_sims", 0, "contest"),
    ("field-size-1", "contest.field_size", 1, "contest"),
    ("field-size-huge", "contest.field_size", 500_001, "contest"),
    ("fee-zero", "contest.entry_fee", 0, "contest"),
    ("payout-overlap", "contest.payouts", [*PAYOUTS_200, OVERLAP], "contest"),
    ("payout-beyond", "contest.payouts", [{"min_rank": 1, "max_rank": 201, "prize": 1}], "contest"),
    ("optimal-sims", "contest.optimal_sims", 5001, "contest"),
    ("knob", "contest.field_model", {"stack": 1.5}, "contest"),
    ("unknown-knob", "contest.field_model", {"colour": 1}, "contest"),
    ("contest-type", "contest_type", "showdown", "contest_type"),
    ("short-lineup", "lineups", [["a", "b"]], "lineups"),
    ("too-many-lineups", "contest.max_entries", 2, "lineups"),
    ("no-lineups", "lineups", None, "lineups"),
    ("unknown-field", "colour", "red", "colour"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "value", "field"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_a_bad_body_is_400_naming_the_field(
    client: FlaskClient, body, path: str, value: Any, field: str
) -> None:
    """Every bound of the request is checked before a job exists."""
    response = client.post("/contests", json=_bad(body, path, value))

    assert response.status_code == 400, response.json
    assert response.json["error"]["code"] == "invalid_request"
    assert field in response.json["error"]["details"]


def test_lineups_and_from_run_id_together_are_400(client: FlaskClient, body) -> None:
    """Either the lineups or the run they come from, not both."""
    response = client.post("/contests", json={**body, "from_run_id": UNKNOWN})

    assert response.status_code == 400 and "lineups" in response.json["error"]["details"]


def test_field_lineups_must_fill_the_field(client: FlaskClient, body) -> None:
    """Given field lineups and ours must add up to field_size."""
    response = client.post("/contests", json=_with(body, field_lineups=body["lineups"][:1]))

    details = response.json["error"]["details"]
    assert response.status_code == 400 and "contest.field_lineups" in details


def _unknown_player(b: dict) -> dict:
    return {**b, "lineups": [[*b["lineups"][0][:-1], "nobody"]]}


def _repeated_player(b: dict) -> dict:
    return {**b, "lineups": [[*b["lineups"][0][:-1], b["lineups"][0][0]]]}


def _no_ownership(b: dict) -> dict:
    return {**b, "players": [{**p, "ownership": None} for p in b["players"]]}


def _unknown_run(b: dict) -> dict:
    return {**b, "lineups": None, "from_run_id": UNKNOWN}


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (_unknown_player, "invalid_lineup"),
        (_repeated_player, "invalid_lineup"),
        (_no_ownership, "no_ownership"),
        (_unknown_run, "run_not_found"),
    ],
    ids=["unknown-player", "repeated-player", "no-ownership", "unknown-run"],
)
def test_requests_that_can_never_run_are_422(client: FlaskClient, body, change, code: str) -> None:
    """A lineup that is not a lineup of the slate, a field with nothing to model it from, or a
    run that does not exist: refused with its own code, no job made."""
    response = client.post("/contests", json=change(body))

    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == code


def test_lineups_come_from_a_complete_optimize_job(
    client: FlaskClient, store: JobStore, body
) -> None:
    """from_run_id enters the optimize job's lineups on its players; before the job is
    complete it is refused as run_not_complete."""
    optimize_body = {"slate_id": "noop", "players": body["players"], "n_scenarios": 0}
    optimize_id = client.post("/optimize", json=optimize_body).json["run_id"]
    request = {"from_run_id": optimize_id, "contest": body["contest"]}
    early = client.post("/contests", json=request)
    lineups = [{"players": [{"slot": "X", "id": i} for i in ids]} for ids in body["lineups"]]
    store.complete(optimize_id, store.claim_next("test").token, {"lineups": lineups})

    response = client.post("/contests", json=request)

    assert early.status_code == 422 and early.json["error"]["code"] == "run_not_complete"
    assert response.status_code == 202, response.json
    stored = store.get(response.json["run_id"]).input
    assert stored["lineups"] == body["lineups"]
    assert [p["id"] for p in stored["players"]] == [p["id"] for p in body["players"]]


def _cheapest_lineup(players: list[dict]) -> list[str]:
    """A valid NFL lineup of the cheapest players: QB, 3 RB, 3 WR, TE, DST."""
    by_salary = sorted(players, key=lambda p: (p["salary"], p["id"]))
    wanted = {"QB": 1, "RB": 3, "WR": 3, "TE": 1, "DST": 1}
    lineup = []
    for player in by_salary:
        position = player["positions"][0]
        if wanted.get(position, 0) > 0:
            wanted[position] -= 1
            lineup.append(player["id"])
    return lineup


def test_an_uploaded_slate_without_ownership_cannot_model_a_field(
    client: FlaskClient, body
) -> None:
    """A DraftKings salary file has no ownership: a contest on it is refused as no_ownership."""
    upload = client.post(
        "/slates?sport=nfl&slate_id=sunday", data=nfl_salary_csv(), content_type="text/csv"
    )
    players = client.get("/slates/sunday").json["players"]
    request = {k: v for k, v in body.items() if k != "players"}

    response = client.post(
        "/contests", json={**request, "slate_id": "sunday", "lineups": [_cheapest_lineup(players)]}
    )

    assert upload.status_code == 201
    assert response.status_code == 422 and response.json["error"]["code"] == "no_ownership"


@pytest.mark.slow
def test_a_contest_job_runs_to_its_result(app: Flask, client: FlaskClient, body) -> None:
    """The runner computes a contest job in a child process; its result has every section."""
    run_id = client.post("/contests", json=body).json["run_id"]
    runner = get_jobs(app).runner
    runner.start()
    try:
        wait_until(lambda: client.get(f"/contests/{run_id}").json["status"] == "complete", 60)
    finally:
        runner.shutdown()

    response = client.get(f"/contests/{run_id}/result").json
    result = response["result"]
    assert ContestResultResponseSchema().validate(response) == {}
    assert [len(result["lineups"]), result["portfolio"]["entries"]] == [3, 3]
    assert result["field"]["entries"] == 197 and result["settings"]["contest"]["n_sims"] == 300
    assert {"roi", "roi_se", "win_pct", "dupes"} <= set(result["lineups"][0])
