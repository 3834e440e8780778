"""One-pass enumeration of the n best lineups: exact against brute force and the search."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from bench.slates import nba_slate, nfl_slate
from tests.unit.optimizer.test_exact import _solve, _valid_lineups
from webapp.optimizer import game_type
from webapp.optimizer.best_lineup import best_lineup
from webapp.optimizer.bounds import BoundsModel
from webapp.optimizer.budget import NO_BUDGET, BudgetSpent, TimeBudget
from webapp.optimizer.enumeration import top_lineups
from webapp.optimizer.enumerator import enumerate_pool
from webapp.optimizer.players import to_players
from webapp.optimizer.rules import GameType
from webapp.optimizer.search import LineupSearch, best_lineups, exposure_limits
from webapp.optimizer.slate import Slate, Stack


def _totals(slate: Slate, lineups: list[list[int]]) -> list[float]:
    return [round(float(slate.projections[lineup].sum()), 3) for lineup in lineups]


@pytest.mark.parametrize("seed", range(6))
def test_top_lineups_equal_brute_force(
    seed: int, tiny_rules: GameType, tiny_slate: Callable[..., list[dict]]
) -> None:
    """The enumerated n best have exactly the brute-force n best totals."""
    players = tiny_slate(seed, 20)
    slate = Slate(to_players(players), tiny_rules)
    expected = [value for value, _ in _valid_lineups(players, tiny_rules)[:12]]

    found = top_lineups(slate, slate.scaled(slate.projections), 12)

    assert _totals(slate, found) == expected == _solve(players, tiny_rules, 12, 1, 1.0)


def test_fewer_lineups_than_asked_are_all_found(
    tiny_rules: GameType, tiny_slate: Callable[..., list[dict]]
) -> None:
    """Asking for more lineups than exist returns every valid lineup."""
    players = tiny_slate(3, 9)
    slate = Slate(to_players(players), tiny_rules)

    found = top_lineups(slate, slate.scaled(slate.projections), 10_000)

    assert len(found) == len(_valid_lineups(players, tiny_rules))


@pytest.mark.parametrize(
    ("sport", "locks", "stack"),
    [("nfl", (), None), ("nba", (), None), ("nfl", ("lock",), Stack(2, 1))],
    ids=["nfl", "nba-multi-position", "nfl-lock-and-stack"],
)
def test_top_lineups_equal_the_search(
    sport: str, locks: tuple, stack: Stack | None, nfl: list[dict], nba: list[dict]
) -> None:
    """On real slates the enumeration and the lineup-by-lineup search agree on every total."""
    players = to_players(nfl if sport == "nfl" else nba)
    lock_ids = frozenset(players[5].id for _ in locks)
    slate = Slate(players, game_type(sport), lock_ids, stack)
    values = slate.scaled(slate.projections)
    limits = exposure_limits(slate, 40, 1.0, {})

    expected = best_lineups(LineupSearch(slate, values, BoundsModel(slate)), 40, 1, limits)
    found = top_lineups(slate, values, 40)

    assert _totals(slate, found) == _totals(slate, expected)
    assert all(set(slate.locks) <= set(lineup) for lineup in found)


@pytest.mark.parametrize("sport", ["nfl", "nba"])
def test_real_size_top_lineups_equal_the_search(sport: str) -> None:
    """On real-size slates too (this NBA slate once got lineups under the floor, and so
    missed better ones, from a pass that stopped between floors)."""
    players = to_players(nfl_slate(1) if sport == "nfl" else nba_slate(1))
    slate = Slate(players, game_type(sport))
    values = slate.scaled(slate.projections)
    limits = exposure_limits(slate, 20, 1.0, {})

    expected = best_lineups(LineupSearch(slate, values, BoundsModel(slate)), 20, 1, limits)

    assert _totals(slate, top_lineups(slate, values, 20)) == _totals(slate, expected)


def _spent_after_start() -> TimeBudget:
    readings = iter([0.0])  # the budget starts at 0; every later reading is long past it
    return TimeBudget(5.0, clock=lambda: next(readings, 1e9))


@pytest.mark.parametrize("search", ["best_lineup", "enumerate_pool"])
def test_a_budget_spent_during_one_search_stops_that_search(search: str) -> None:
    """The depth-first searches read the time budget as they go, not only between lineups or
    passes, so one long search cannot run past OPTIMIZER_TIME_BUDGET_SECONDS."""
    slate = Slate(to_players(nfl_slate(1)), game_type("nfl"))
    values = slate.scaled(slate.projections)
    pool = list(range(len(slate)))

    def run(budget: TimeBudget) -> object:
        if search == "best_lineup":
            return best_lineup(slate, pool, values, -math.inf, budget=budget)
        return enumerate_pool(slate, pool, values, -math.inf, 200, budget=budget)[0]

    assert run(NO_BUDGET)
    with pytest.raises(BudgetSpent):
        run(_spent_after_start())
