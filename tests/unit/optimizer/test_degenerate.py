"""Degenerate slates: many players with equal projections, salaries to the dollar.

Every lineup of such a slate ties, so the enumeration can neither raise its floor past the
ties nor cut a branch by value; salaries to the dollar make its knapsack tables 50,000
columns wide. The searches must still end in a few passes and small tables. Bounds here are
counts (passes) and traced bytes, never seconds, so the tests do not depend on the machine.
"""

from __future__ import annotations

import itertools
import random
import tracemalloc
from collections.abc import Callable

import numpy as np
import pytest

from bench.slates import nfl_slate, tied_slate
from tests.unit.optimizer import milp
from tests.unit.optimizer.test_exact import _valid_lineups
from tests.unit.optimizer.validator import lineup_problems
from webapp.optimizer import OptimizeOptions, enumeration, optimize
from webapp.optimizer.enumeration import top_lineups
from webapp.optimizer.enumerator import MAX_TABLE_BYTES, Enumerator
from webapp.optimizer.players import to_players
from webapp.optimizer.rules import GameType, game_type
from webapp.optimizer.slate import Slate


@pytest.fixture
def passes(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """Counts enumeration passes; `cap(n)` fails the test at the (n+1)-th, so a search
    that would pass forever fails at once."""
    counted = {"passes": 0, "cap": 10**9}
    enumerate_pool = enumeration.enumerate_pool

    def counting(*args, **kwargs):
        counted["passes"] += 1
        assert counted["passes"] <= counted["cap"], f"over {counted['cap']} enumeration passes"
        return enumerate_pool(*args, **kwargs)

    def cap(most: int) -> None:
        counted.update(passes=0, cap=most)

    monkeypatch.setattr(enumeration, "enumerate_pool", counting)
    return cap


def _valid(result: dict, players: list[dict]) -> None:
    by_id = {p["id"]: p for p in players}
    for lineup in result["lineups"]:
        assert lineup_problems(lineup, by_id, "nfl") == []


@pytest.mark.parametrize("dollars", [True, False], ids=["dollars", "hundreds"])
def test_one_exact_lineup_of_tied_players(dollars: bool, passes: Callable[[int], None]) -> None:
    """One exact lineup of 1,000 tied players: the optimum (by an independent MILP) in a
    couple of passes."""
    players = tied_slate(dollars=dollars)
    passes(3)

    result = optimize(players, OptimizeOptions(n_lineups=1, n_scenarios=0))

    _valid(result, players)
    assert result["lineups"][0]["projection"] == pytest.approx(milp.best_total(players, "nfl"))


def test_150_exact_lineups_of_tied_players(passes: Callable[[int], None]) -> None:
    """150 distinct lineups, every one worth the optimum."""
    players = tied_slate()
    passes(3)

    result = optimize(players, OptimizeOptions(n_lineups=150, n_scenarios=0))

    _valid(result, players)
    assert len({frozenset(p["id"] for p in lu["players"]) for lu in result["lineups"]}) == 150
    assert {lu["projection"] for lu in result["lineups"]} == {90.0}


def test_stacked_lineups_of_tied_players(passes: Callable[[int], None]) -> None:
    """A QB stack with a bring-back on tied players: each lineup holds its stack."""
    players = tied_slate()
    passes(3)
    stack = {"qb_with": 2, "bring_back": 1}

    result = optimize(players, OptimizeOptions(n_lineups=5, n_scenarios=0, stack=stack))

    _valid(result, players)
    by_id = {p["id"]: p for p in players}
    for lineup in result["lineups"]:
        chosen = [by_id[entry["id"]] for entry in lineup["players"]]
        qb = next(p for p in chosen if p["positions"] == ["QB"])
        mates = [p for p in chosen if p["team"] == qb["team"] and p["positions"][0] in ("WR", "TE")]
        rivals = [p for p in chosen if p["team"] == qb["opponent"] and p["positions"] != ["DST"]]
        assert len(mates) >= 2 and rivals


def test_simulated_lineups_of_tied_players(passes: Callable[[int], None]) -> None:
    """Simulations on tied projections (each scenario is ordinary, the projections are
    not): the lineups come back, from a bounded number of passes."""
    players = tied_slate()
    passes(400)

    result = optimize(players, OptimizeOptions(n_lineups=20, n_scenarios=200, seed=3))

    _valid(result, players)
    assert len(result["lineups"]) == 20


def test_knapsack_tables_stay_small_with_salaries_to_the_dollar() -> None:
    """Salaries to the dollar coarsen the tables' salary step instead of growing them to
    gigabytes; DraftKings' hundreds keep the exact step."""
    rules = game_type("nfl", "classic")
    for players, exact in ((tied_slate(), False), (nfl_slate(seed=1), True)):
        slate = Slate(to_players(players), rules)
        pool = list(range(len(slate)))
        search = Enumerator(slate, pool, slate.scaled(slate.projections), 10, [])
        tables = sum(t.nbytes for group in search.inside for t in group)
        tables += sum(t.nbytes for t in search.later)
        assert tables <= MAX_TABLE_BYTES
        assert (search.unit == 100) is exact


def test_memory_of_one_lineup_with_salaries_to_the_dollar(passes: Callable[[int], None]) -> None:
    """The search's traced memory stays small (it was 1.7 GB)."""
    players = tied_slate()
    passes(3)
    tracemalloc.start()
    try:
        optimize(players, OptimizeOptions(n_lineups=1, n_scenarios=0))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * MAX_TABLE_BYTES


@pytest.mark.parametrize(("seed", "n"), list(itertools.product(range(4), (1, 5, 30))))
def test_ties_at_every_level_match_brute_force(
    seed: int, n: int, tiny_rules: GameType, tiny_slate: Callable[..., list[dict]]
) -> None:
    """Projections of 10 or 11 points only, so lineups tie at a few levels, many more than a
    pass lists at each: the n lineups have exactly the brute-force n best totals, all
    distinct."""
    players = tiny_slate(seed, 30)
    rng = random.Random(seed)
    for player in players:
        player["projection"] = float(rng.choice((10, 11)))
    slate = Slate(to_players(players), tiny_rules)
    expected = [value for value, _ in _valid_lineups(players, tiny_rules)[:n]]

    found = top_lineups(slate, slate.scaled(slate.projections), n)

    assert [round(float(np.sum(slate.projections[lu])), 3) for lu in found] == expected
    assert len({tuple(sorted(lu)) for lu in found}) == len(found)
