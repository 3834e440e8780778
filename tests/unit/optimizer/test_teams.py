"""Team and stack exposure (team_exposure): maxima, minima, the limiting-rule warning, and
the request schema and API."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from flask.testing import FlaskClient
from marshmallow import ValidationError

from tests.unit.optimizer.validator import lineup_problems
from webapp.api.schemas import load_optimize_request
from webapp.jobs.store import JobStore
from webapp.lineups.job import make_optimize_job
from webapp.optimizer import OptimizeOptions, OptimizerError, optimize

N = 12


def _uses(result: dict, team_of: dict[str, str], team: str, players: int) -> int:
    """Lineups of the result holding at least `players` players of `team`."""
    return sum(
        sum(team_of[e["id"]] == team for e in lineup["players"]) >= players
        for lineup in result["lineups"]
    )


def _usage(result: dict, team_of: dict[str, str], players: int) -> Counter:
    return Counter({t: _uses(result, team_of, t, players) for t in set(team_of.values())})


MODES = [(0, 1), (0, 3), (300, 1), (300, 3)]
MODE_IDS = ["exact-any", "exact-3-stack", "simulated-any", "simulated-3-stack"]


@pytest.mark.parametrize(("n_scenarios", "players"), MODES, ids=MODE_IDS)
def test_team_max_exposure_cuts_the_favourite_team(
    nfl: list[dict], n_scenarios: int, players: int
) -> None:
    """The team the best lineups lean on most is cut to its maximum share, and every lineup
    stays legal; without the rule that team is above the maximum."""
    team_of = {p["id"]: p["team"] for p in nfl}
    by_id = {p["id"]: p for p in nfl}
    plain = OptimizeOptions(n_lineups=N, n_scenarios=n_scenarios, seed=1)
    favourite, count = _usage(optimize(nfl, plain), team_of, players).most_common(1)[0]
    most = math.floor(0.25 * N)
    assert count > most  # the rule has something to cut

    rule = {favourite: {"max": 0.25, "players": players}}
    options = OptimizeOptions(n_lineups=N, n_scenarios=n_scenarios, seed=1, team_exposure=rule)
    result = optimize(nfl, options)

    assert len(result["lineups"]) == N
    assert _uses(result, team_of, favourite, players) <= most
    assert not [
        lineup_problems(x, by_id, "nfl")
        for x in result["lineups"]
        if lineup_problems(x, by_id, "nfl")
    ]
    assert result["settings"]["team_exposure"] == {favourite: {"max": 0.25, "players": players}}


@pytest.mark.parametrize(("n_scenarios", "players"), MODES, ids=MODE_IDS)
def test_team_min_exposure_is_met(nfl: list[dict], n_scenarios: int, players: int) -> None:
    """A team the best lineups leave out is in at least its minimum share of the lineups."""
    team_of = {p["id"]: p["team"] for p in nfl}
    plain = OptimizeOptions(n_lineups=N, n_scenarios=n_scenarios, seed=1)
    usage = _usage(optimize(nfl, plain), team_of, players)
    unloved = min(sorted(usage), key=lambda t: usage[t])
    least = math.ceil(0.5 * N)
    assert usage[unloved] < least

    rule = {unloved: {"min": 0.5, "players": players}}
    options = OptimizeOptions(n_lineups=N, n_scenarios=n_scenarios, seed=1, team_exposure=rule)
    result = optimize(nfl, options)

    assert len(result["lineups"]) == N
    assert _uses(result, team_of, unloved, players) >= least


@pytest.mark.parametrize("n_scenarios", [0, 300], ids=["exact", "simulated"])
def test_team_max_that_limits_the_count_is_named(nfl: list[dict], n_scenarios: int) -> None:
    """With the team's QB locked, every lineup uses the team: a maximum of 3-man stacks
    still leaves n lineups (fewer than 3 of his team), but a maximum on any use of the team
    allows only that share, and the warning names team_exposure."""
    locked = max((p for p in nfl if p["positions"] == ["QB"]), key=lambda p: p["projection"])
    team = locked["team"]
    rule = {team: {"max": 0.5, "players": 3}}
    options = OptimizeOptions(
        n_lineups=N, n_scenarios=n_scenarios, seed=1, locks=[locked["id"]], team_exposure=rule
    )

    result = optimize(nfl, options)

    team_of = {p["id"]: p["team"] for p in nfl}
    assert _uses(result, team_of, team, 3) <= N // 2
    assert len(result["lineups"]) == N  # lineups with the QB and fewer than 3 of his team exist
    rule = {team: {"max": 0.5, "players": 1}}
    options = OptimizeOptions(
        n_lineups=N, n_scenarios=n_scenarios, seed=1, locks=[locked["id"]], team_exposure=rule
    )

    limited = optimize(nfl, options)

    assert len(limited["lineups"]) == N // 2
    assert any("team_exposure" in warning for warning in limited["warnings"])


@pytest.mark.parametrize(
    "rule",
    [
        {"KC": {"max": 1.5}},
        {"KC": {"min": -0.1}},
        {"KC": {"min": 0.6, "max": 0.4}},
        {"KC": {"players": 0}},
        {"KC": {"players": 10}},
        {"KC": {"most": 0.5}},
        {"KC": {"players": 9}},
    ],
    ids=[
        "max-above-one",
        "negative-min",
        "min-above-max",
        "no-players",
        "too-many",
        "unknown",
        "more-than-an-nba-roster",
    ],
)
def test_out_of_bounds_team_exposure_is_refused(rule: dict) -> None:
    """The request schema refuses a team rule out of its bounds (the roster size of the
    request's sport bounds `players`)."""
    with pytest.raises(ValidationError) as caught:
        load_optimize_request({"slate_id": "s1", "sport": "nba", "team_exposure": rule})

    assert "team_exposure" in caught.value.messages


def test_unknown_team_is_refused(nfl: list[dict]) -> None:
    """A team that is not on the slate is an invalid request, not a silent no-op."""
    options = OptimizeOptions(n_lineups=2, n_scenarios=0, team_exposure={"ZZZ": {"max": 0.5}})

    with pytest.raises(OptimizerError, match="ZZZ"):
        optimize(nfl, options)


def test_api_accepts_team_exposure_and_refuses_it_out_of_bounds(
    client: FlaskClient, store: JobStore, nfl: list[dict]
) -> None:
    """POST /optimize keeps a valid team_exposure (defaults filled in) in the job's input and
    answers 400 naming the field for one out of bounds."""
    team = nfl[0]["team"]
    body = {"slate_id": "s", "players": nfl, "n_scenarios": 0, "n_lineups": 4}

    accepted = client.post("/optimize", json={**body, "team_exposure": {team: {"max": 0.5}}})
    refused = client.post("/optimize", json={**body, "team_exposure": {team: {"max": 2}}})

    assert accepted.status_code == 202
    record = store.get(accepted.json["run_id"])
    assert record.input["team_exposure"] == {team: {"max": 0.5, "min": 0.0, "players": 1}}
    assert refused.status_code == 400
    assert "team_exposure" in refused.get_data(as_text=True)


class _Context:
    checkpoint = None

    def progress(self, fraction: float, phase: str = "") -> None:
        """Progress goes nowhere."""


def test_the_job_passes_team_exposure_to_the_optimizer(nfl: list[dict]) -> None:
    """A job's input team_exposure reaches the optimizer: the team is cut to its maximum."""
    team_of = {p["id"]: p["team"] for p in nfl}
    job = make_optimize_job(None)
    body = {"slate_id": "s", "players": nfl, "n_scenarios": 0, "n_lineups": N}
    favourite, _ = _usage(job(body, _Context()), team_of, 1).most_common(1)[0]

    result = job({**body, "team_exposure": {favourite: {"max": 0.25}}}, _Context())

    assert _uses(result, team_of, favourite, 1) <= math.floor(0.25 * N)
