"""Rule tables, player checks and infeasible requests (option bounds: test_request_schema.py)."""

from __future__ import annotations

import pytest

from webapp.optimizer import (
    InfeasibleError,
    OptimizeOptions,
    check_players,
    game_type,
    optimize,
)
from webapp.optimizer.rules import valid_positions


def test_rule_tables_list_the_draftkings_slots() -> None:
    """NFL and NBA Classic slots appear in roster order with a 50,000 cap and two games."""
    nfl, nba = game_type("nfl"), game_type("nba")

    assert [s.name for s in nfl.slots] == ["QB", "RB", "RB", "WR", "WR", "WR", "TE", "FLEX", "DST"]
    assert [s.name for s in nba.slots] == ["PG", "SG", "SF", "PF", "C", "G", "F", "UTIL"]
    assert {r.salary_cap for r in (nfl, nba)} == {50_000}
    assert {r.min_games for r in (nfl, nba)} == {2}


@pytest.mark.parametrize(
    ("sport", "expected"),
    [
        ("nfl", {"QB", "RB", "WR", "TE", "DST"}),
        ("nba", {"PG", "SG", "SF", "PF", "C"}),
        ("cricket", set()),
    ],
    ids=["nfl", "nba", "unknown"],
)
def test_valid_positions_per_sport(sport: str, expected: set[str]) -> None:
    """Each sport exposes the positions its players may list."""
    assert valid_positions(sport) == expected


PLAYER_ERRORS = [
    ("duplicate-id", {"id": "a"}, "players.1.id"),
    ("unknown-position", {"positions": ["PG"]}, "players.1.positions"),
    ("negative-salary", {"salary": -5}, "players.1.salary"),
]


@pytest.mark.parametrize(
    ("change", "field"),
    [(c, f) for _, c, f in PLAYER_ERRORS],
    ids=[i for i, _, _ in PLAYER_ERRORS],
)
def test_check_players_reports_the_bad_field(change: dict, field: str) -> None:
    """A bad entry is reported under its marshmallow-style field path."""
    players = [
        {"id": "a", "positions": ["QB"], "salary": 100},
        {"id": "b", "positions": ["WR"], "salary": 100, **change},
    ]

    errors = check_players(players, "nfl")

    assert list(errors) == [field] and errors[field]


def test_check_players_accepts_a_good_list(nfl: list[dict]) -> None:
    """A valid slate has no errors."""
    assert check_players(nfl, "nfl") == {}


def _expensive_locks(nfl: list[dict]) -> list[str]:
    picks = []
    for position in ("QB", "RB", "RB", "WR", "WR", "WR", "TE"):
        picks.append(
            max(
                (p for p in nfl if p["positions"] == [position] and p["id"] not in picks),
                key=lambda p: p["salary"],
            )["id"]
        )
    return picks


INFEASIBLE = [
    ("locks-over-cap", "expensive", "over the cap"),
    ("no-qb", "no_qb", "slot QB"),
    ("unknown-lock", "unknown_lock", "not in the slate"),
    ("one-game", "one_game", "game"),
    ("two-locked-qbs", "two_qbs", "cannot share a lineup"),
    ("too-few-rbs", "one_rb", "too few players"),
]


def _infeasible_request(nfl: list[dict], case: str) -> tuple[list[dict], list[str]]:
    qbs = [p["id"] for p in nfl if p["positions"] == ["QB"]]
    if case == "expensive":
        return nfl, _expensive_locks(nfl)
    if case == "no_qb":
        return [p for p in nfl if p["positions"] != ["QB"]], []
    if case == "unknown_lock":
        return nfl, ["nobody"]
    if case == "one_game":
        game = {nfl[0]["team"], nfl[0]["opponent"]}
        return [p for p in nfl if p["team"] in game], []
    if case == "two_qbs":
        return nfl, qbs[:2]
    rbs = [p for p in nfl if p["positions"] == ["RB"]]
    return [p for p in nfl if p["positions"] != ["RB"]] + rbs[:1], []


@pytest.mark.parametrize(
    ("case", "message"), [(c, m) for _, c, m in INFEASIBLE], ids=[i for i, _, _ in INFEASIBLE]
)
def test_infeasible_requests_say_why(nfl: list[dict], case: str, message: str) -> None:
    """An impossible request fails before any simulation with a message naming the reason."""
    players, locks = _infeasible_request(nfl, case)

    with pytest.raises(InfeasibleError, match=message):
        optimize(players, OptimizeOptions(n_lineups=1, n_scenarios=100_000, seed=1, locks=locks))


def test_solver_found_infeasibility_comes_before_simulation(nfl: list[dict]) -> None:
    """A request only the solver can refute fails before any scenario is drawn."""
    qb = next(p for p in nfl if p["positions"] == ["QB"])
    catchers = [p["id"] for p in nfl if p["team"] == qb["team"] and p["positions"][0] in "WRTE"]
    phases: list[str] = []
    options = OptimizeOptions(
        n_scenarios=100_000, seed=1, locks=[qb["id"]], excludes=catchers, stack={"qb_with": 1}
    )

    with pytest.raises(InfeasibleError, match="no lineup"):
        optimize(nfl, options, progress=lambda _f, phase: phases.append(phase))

    assert phases == []
