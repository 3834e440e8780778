"""The POST /optimize schema: the one place option bounds are checked, loading the optimizer's
options."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from webapp.api.openapi import build_spec
from webapp.api.schemas import OptimizeRequest, load_optimize_request
from webapp.optimizer import options as bounds
from webapp.optimizer.options import OptimizeOptions, options_in
from webapp.optimizer.rules import game_type

PLAYERS = [
    {"id": f"p{i}", "name": f"Player {i}", "positions": [position], "salary": 5000 + i,
     "team": "AAA" if i % 2 else "BBB", "opponent": "BBB" if i % 2 else "AAA",
     "projection": 10.0 + i}
    for i, position in enumerate(["QB", "RB", "RB", "WR", "WR", "WR", "TE", "DST", "WR"])
]  # fmt: skip
MINIMAL = {"slate_id": "main", "players": PLAYERS}
EVERY_FIELD = {
    "slate_id": "main:2026-12-01", "sport": "nfl", "n_lineups": 20, "n_scenarios": 500,
    "seed": 7, "players": PLAYERS, "min_unique": 2, "locks": ["p0"], "excludes": ["p8"],
    "max_exposure": 0.6, "exposure": {"p1": 0.5}, "min_exposure": {"p2": 0.1},
    "correlation": {"QB": {"pass": 0.5}}, "stack": {"qb_with": 2, "bring_back": 1},
    "selection": "percentile", "percentile": 75,
}  # fmt: skip


def test_a_body_loads_into_the_optimizer_options() -> None:
    loaded = load_optimize_request(EVERY_FIELD)

    assert isinstance(loaded, OptimizeRequest)
    assert loaded.options == OptimizeOptions(
        sport="nfl", n_lineups=20, n_scenarios=500, seed=7, min_unique=2, locks=["p0"],
        excludes=["p8"], max_exposure=0.6, exposure={"p1": 0.5}, min_exposure={"p2": 0.1},
        correlation={"QB": {"pass": 0.5}}, stack={"qb_with": 2, "bring_back": 1},
        selection="percentile", percentile=75.0,
    )  # fmt: skip
    assert (loaded.slate_id, loaded.late_swap) == ("main:2026-12-01", None)
    assert loaded.players == [
        {**p, "stdev": None, "ownership": None, "game_time": None} for p in PLAYERS
    ]


def test_defaults_are_the_options_defaults() -> None:
    """An omitted option means what OptimizeOptions means by default (lists stay JSON lists)."""
    loaded = load_optimize_request(MINIMAL).options

    assert loaded == OptimizeOptions(locks=[], excludes=[])


def test_the_job_input_holds_every_field_and_gives_back_the_same_options() -> None:
    loaded = load_optimize_request(MINIMAL)

    job_input = loaded.job_input()

    assert list(job_input)[:4] == ["slate_id", "sport", "n_lineups", "n_scenarios"]
    assert job_input["players"] == loaded.players and job_input["late_swap"] is None
    assert job_input["percentile"] == 90.0 and job_input["locks"] == []
    assert OptimizeOptions(**options_in(job_input)) == loaded.options


def test_defaults_are_fresh_objects() -> None:
    """A default list or dict is never shared between two loaded bodies."""
    first, second = load_optimize_request(MINIMAL), load_optimize_request(MINIMAL)

    first.options.locks.append("p1")  # type: ignore[attr-defined]
    assert second.options.locks == [] and first.options.exposure is not second.options.exposure


BAD_OPTIONS = [
    ("sport", {"sport": "cricket"}, "sport"),
    ("n-lineups", {"n_lineups": bounds.MAX_LINEUPS + 1}, "n_lineups"),
    ("n-lineups-zero", {"n_lineups": bounds.MIN_LINEUPS - 1}, "n_lineups"),
    ("n-scenarios", {"n_scenarios": -1}, "n_scenarios"),
    ("n-scenarios-over", {"n_scenarios": bounds.MAX_SCENARIOS + 1}, "n_scenarios"),
    ("seed", {"seed": bounds.MAX_SEED + 1}, "seed"),
    ("min-unique", {"min_unique": 10}, "min_unique"),
    ("min-unique-nba", {"sport": "nba", "min_unique": 9, "players": None}, "min_unique"),
    ("exposure", {"max_exposure": 0.0}, "max_exposure"),
    ("exposure-share", {"exposure": {"p1": 1.5}}, "exposure"),
    ("selection", {"selection": "median"}, "selection"),
    ("percentile", {"percentile": 100}, "percentile"),
    ("stack-nba", {"sport": "nba", "stack": {"qb_with": 1}, "players": None}, "stack"),
    ("stack-bound", {"stack": {"qb_with": 5}}, "stack"),
    ("stack-field", {"stack": {"qb": 1}}, "stack"),
    ("lock-and-exclude", {"locks": ["p0"], "excludes": ["p0"]}, "locks"),
    ("too-many-locks", {"locks": [f"p{i}" for i in range(10)]}, "locks"),
    ("loading", {"correlation": {"QB": {"pass": 0.995}}}, "correlation"),
    ("contest-type", {"contest_type": "tiers"}, "contest_type"),
    ("mlb-showdown", {"sport": "mlb", "contest_type": "showdown", "players": None}, "contest_type"),
    ("captain-with-classic", {"captain_with": 2}, "captain_with"),
    (
        "stack-showdown",
        {"contest_type": "showdown", "stack": {"qb_with": 1}, "players": None},
        "stack",
    ),
    ("showdown-row-kind", {"contest_type": "showdown"}, "players.0.roster_position"),
    ("team-stack-nfl", {"team_stack": [3]}, "team_stack"),
    ("team-stack-size", {"sport": "mlb", "team_stack": [6], "players": None}, "team_stack"),
    ("team-stacks-overfull", {"sport": "mlb", "team_stack": [5, 4], "players": None}, "team_stack"),
    (
        "avoid-opposing-nba",
        {"sport": "nba", "avoid_opposing": True, "players": None},
        "avoid_opposing",
    ),
    ("loading-of-another-sport", {"correlation": {"QB": {"runs": 0.2}}}, "correlation"),
    (
        "locks-over-roster",
        {"sport": "nba", "locks": [f"p{i}" for i in range(9)], "players": None},
        "locks",
    ),
]


@pytest.mark.parametrize(
    ("change", "field"), [(c, f) for _, c, f in BAD_OPTIONS], ids=[i for i, _, _ in BAD_OPTIONS]
)
def test_options_out_of_bounds_are_refused(change: dict, field: str) -> None:
    """An option outside its bounds is refused, under its own field."""
    body = {**MINIMAL, **change}
    with pytest.raises(ValidationError) as caught:
        load_optimize_request({k: v for k, v in body.items() if v is not None})

    assert field in caught.value.messages


def test_options_on_their_bounds_are_accepted() -> None:
    body = {
        **MINIMAL, "n_lineups": bounds.MAX_LINEUPS, "n_scenarios": bounds.MAX_SCENARIOS,
        "seed": bounds.MAX_SEED, "min_unique": game_type("nfl").size, "max_exposure": 1,
        "percentile": bounds.PERCENTILE_BOUNDS[1], "stack": {"qb_with": 4, "bring_back": 2},
    }  # fmt: skip

    options = load_optimize_request(body).options

    assert (options.n_lineups, options.n_scenarios, options.seed) == (150, 100_000, 2**63 - 1)


def test_field_errors_come_before_cross_field_rules() -> None:
    with pytest.raises(ValidationError) as caught:
        load_optimize_request({**MINIMAL, "n_lineups": 151, "locks": ["p0"], "excludes": ["p0"]})

    assert list(caught.value.messages) == ["n_lineups"]


def test_the_openapi_document_shows_the_options_bounds() -> None:
    request = build_spec()["components"]["schemas"]["OptimizeRequest"]["properties"]

    assert (request["n_lineups"]["minimum"], request["n_lineups"]["maximum"]) == (
        bounds.MIN_LINEUPS,
        bounds.MAX_LINEUPS,
    )
    assert request["n_scenarios"]["maximum"] == bounds.MAX_SCENARIOS
    assert request["locks"]["maxItems"] == bounds.MAX_ROSTER
    assert request["selection"]["enum"] == list(bounds.SELECTIONS)
    assert request["percentile"]["maximum"] == bounds.PERCENTILE_BOUNDS[1]


def test_the_openapi_document_lists_the_game_types_from_the_table() -> None:
    """sport and contest_type take their values from the game types' table, and the document
    names each game type's slots, in the request body and in POST /slates."""
    spec = build_spec()
    request = spec["components"]["schemas"]["OptimizeRequest"]["properties"]
    upload = {p["name"]: p for p in spec["paths"]["/slates"]["post"]["parameters"]}

    assert request["sport"]["enum"] == ["mlb", "nba", "nfl", "nhl"]
    assert request["contest_type"]["enum"] == upload["contest_type"]["schema"]["enum"]
    assert upload["contest_type"]["schema"]["enum"] == ["classic", "showdown"]
    for described in (
        request["contest_type"]["description"],
        upload["contest_type"]["description"],
    ):
        assert "nfl showdown: CPT,FLEX,FLEX,FLEX,FLEX,FLEX" in described
        assert "mlb classic: P,P,C,1B,2B,3B,SS,OF,OF,OF" in described
