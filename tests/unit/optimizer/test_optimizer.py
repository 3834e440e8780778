"""The lineup optimizer, checked by an independent validator and by brute force."""

from __future__ import annotations

import itertools
import random

import pytest

from bench.slates import nba_slate, nfl_slate
from tests.unit.optimizer.validator import can_fill, lineup_problems
from webapp.optimizer import InfeasibleError, OptimizeOptions, check_players, optimize
from webapp.optimizer.players import to_players
from webapp.optimizer.rules import RosterRules, Slot
from webapp.optimizer.solver import SolverOptions, solve_lineups


@pytest.fixture(scope="module")
def nfl() -> list[dict]:
    return nfl_slate(seed=7, games=4)


@pytest.fixture(scope="module")
def nba() -> list[dict]:
    return nba_slate(seed=7, games=3)


def _by_id(players: list[dict]) -> dict[str, dict]:
    return {p["id"]: p for p in players}


@pytest.mark.parametrize("sport", ["nfl", "nba"])
def test_every_lineup_obeys_the_rules(sport: str, nfl: list[dict], nba: list[dict]) -> None:
    """Slots in roster order, eligible positions, cap, two games, no repeats, true totals."""
    players = nfl if sport == "nfl" else nba

    result = optimize(players, OptimizeOptions(sport=sport, n_lineups=8, n_scenarios=0))

    assert len(result["lineups"]) == 8
    for lineup in result["lineups"]:
        assert lineup_problems(lineup, _by_id(players), sport) == []


TINY = RosterRules(
    sport="tiny",
    slots=(
        Slot("QB", frozenset({"QB"})),
        Slot("RB", frozenset({"RB"})),
        Slot("WR", frozenset({"WR"})),
        Slot("FLEX", frozenset({"RB", "WR"})),
    ),
    salary_cap=20_000,
    min_games=2,
)


def _tiny_slate(seed: int) -> list[dict]:
    rng = random.Random(seed)
    players = []
    for i in range(14):
        team = rng.choice(["A", "B", "C", "D"])
        opponent = {"A": "B", "B": "A", "C": "D", "D": "C"}[team]
        position = rng.choice([["QB"], ["RB"], ["WR"], ["WR"], ["RB", "WR"]])
        players.append(
            {
                "id": f"t{i}",
                "name": f"t{i}",
                "positions": position,
                "salary": rng.randrange(3000, 8000, 100),
                "team": team,
                "opponent": opponent,
                "projection": round(rng.uniform(5, 25), 2),
            }
        )
    return players


def _brute_force_values(players: list[dict]) -> list[float]:
    slots = [(s.name, set(s.positions)) for s in TINY.slots]
    values = []
    for combo in itertools.combinations(players, len(slots)):
        if sum(p["salary"] for p in combo) > TINY.salary_cap:
            continue
        if len({frozenset((p["team"], p["opponent"])) for p in combo}) < 2:
            continue
        if can_fill(list(combo), slots):
            values.append(round(sum(p["projection"] for p in combo), 2))
    return sorted(values, reverse=True)


@pytest.mark.parametrize("seed", range(6))
def test_best_lineups_equal_brute_force(seed: int) -> None:
    """The k best distinct lineups have exactly the brute-force k best totals."""
    players = _tiny_slate(seed)
    expected = _brute_force_values(players)[:5]

    lineups = solve_lineups(to_players(players), TINY, SolverOptions(n_lineups=5))

    assert [lineup.projection for lineup in lineups] == pytest.approx(expected)


def test_min_unique_separates_lineups(nfl: list[dict]) -> None:
    """Every pair of lineups differs by at least min_unique players."""
    result = optimize(nfl, OptimizeOptions(n_lineups=6, n_scenarios=0, min_unique=3))

    sets = [{e["id"] for e in lineup["players"]} for lineup in result["lineups"]]
    assert all(len(a - b) >= 3 for a, b in itertools.combinations(sets, 2))


def test_exposure_limit_is_honoured(nfl: list[dict]) -> None:
    """No player appears in more than max_exposure of the lineups."""
    result = optimize(nfl, OptimizeOptions(n_lineups=10, n_scenarios=0, max_exposure=0.3))

    assert max(result["exposures"].values()) <= 0.3


def test_locks_and_excludes(nfl: list[dict]) -> None:
    """Locked players are in every lineup; excluded ones in none."""
    best = optimize(nfl, OptimizeOptions(n_lineups=1, n_scenarios=0))["lineups"][0]
    excluded = best["players"][0]["id"]
    locked = next(p["id"] for p in nfl if p["positions"] == ["TE"] and p["salary"] < 4000)

    result = optimize(
        nfl, OptimizeOptions(n_lineups=4, n_scenarios=0, locks=[locked], excludes=[excluded])
    )

    for lineup in result["lineups"]:
        ids = {e["id"] for e in lineup["players"]}
        assert locked in ids and excluded not in ids


def test_stack_puts_pass_catchers_with_the_qb(nfl: list[dict]) -> None:
    """With a stack, the QB's team supplies at least qb_with WR/TE and the opponent a bring-back."""
    result = optimize(
        nfl, OptimizeOptions(n_lineups=3, n_scenarios=0, stack={"qb_with": 2, "bring_back": 1})
    )

    players = _by_id(nfl)
    for lineup in result["lineups"]:
        chosen = [players[e["id"]] for e in lineup["players"]]
        qb = next(p for p in chosen if p["positions"] == ["QB"])
        catchers = [
            p for p in chosen if p["team"] == qb["team"] and p["positions"][0] in {"WR", "TE"}
        ]
        bring_back = [
            p
            for p in chosen
            if p["team"] == qb["opponent"] and p["positions"][0] in {"WR", "TE", "RB"}
        ]
        assert len(catchers) >= 2 and len(bring_back) >= 1


def test_same_seed_same_result(nfl: list[dict]) -> None:
    """Simulated statistics are reproducible for a seed and change with it."""
    options = OptimizeOptions(n_lineups=2, n_scenarios=3000, seed=11)

    first, second = optimize(nfl, options), optimize(nfl, options)
    other = optimize(nfl, OptimizeOptions(n_lineups=2, n_scenarios=3000, seed=12))

    assert first == second
    assert first["lineups"][0]["p90"] != other["lineups"][0]["p90"]
    stats = first["lineups"][0]
    assert stats["p50"] <= stats["p90"] <= stats["p99"]
    assert abs(stats["mean"] - stats["projection"]) < 0.1 * stats["projection"]


INFEASIBLE = [
    ("locks-over-cap", {"locks": "expensive"}, "over the cap"),
    ("no-qb", {"drop": "QB"}, "slot QB"),
    ("unknown-lock", {"locks": ["nobody"]}, "not in the slate"),
    ("one-game", {"one_game": True}, "game"),
]


@pytest.mark.parametrize(
    ("change", "message"), [(c, m) for _, c, m in INFEASIBLE], ids=[i for i, _, _ in INFEASIBLE]
)
def test_infeasible_requests_say_why(nfl: list[dict], change: dict, message: str) -> None:
    """An impossible request fails at once with a message naming the reason."""
    players, locks = list(nfl), []
    if change.get("locks") == "expensive":
        locks = [p["id"] for p in sorted(nfl, key=lambda p: -p["salary"])[:7]]
    elif "locks" in change:
        locks = change["locks"]
    if "drop" in change:
        players = [p for p in nfl if p["positions"] != [change["drop"]]]
    if change.get("one_game"):
        game = {nfl[0]["team"], nfl[0]["opponent"]}
        players = [p for p in nfl if p["team"] in game]

    with pytest.raises(InfeasibleError, match=message):
        optimize(players, OptimizeOptions(n_lineups=1, n_scenarios=0, locks=locks))


def test_check_players_reports_bad_entries() -> None:
    """Duplicate ids, unknown positions and negative salaries are reported by field."""
    players = [
        {"id": "a", "positions": ["QB"], "salary": 100},
        {"id": "a", "positions": ["PG"], "salary": -5},
    ]

    errors = check_players(players, "nfl")

    assert set(errors) == {"players.1.id", "players.1.positions", "players.1.salary"}
    assert check_players(players[:1], "nfl") == {}
