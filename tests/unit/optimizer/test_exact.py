"""Exact lineups (n_scenarios=0): valid, optimal by brute force, and honouring every option."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import pytest

from tests.unit.optimizer.validator import can_fill, lineup_problems
from webapp.optimizer import OptimizeOptions, game_type, optimize
from webapp.optimizer.bounds import BoundsModel
from webapp.optimizer.players import to_players
from webapp.optimizer.rules import GameType
from webapp.optimizer.search import LineupSearch, best_lineups, exposure_limits
from webapp.optimizer.slate import Slate


def _index(players: list[dict]) -> dict[str, dict]:
    return {p["id"]: p for p in players}


def _ids(lineup: dict) -> set[str]:
    return {e["id"] for e in lineup["players"]}


def _valid_lineups(players: list[dict], rules: GameType) -> list[tuple[float, frozenset]]:
    """Every valid lineup by brute force, best first."""
    slots = [(s.name, set(s.positions)) for s in rules.slots]
    found = []
    for combo in itertools.combinations(players, len(slots)):
        if sum(p["salary"] for p in combo) > rules.salary_cap:
            continue
        if len({frozenset((p["team"], p["opponent"])) for p in combo}) < rules.min_games:
            continue
        if can_fill(list(combo), slots):
            value = round(sum(p["projection"] for p in combo), 3)
            found.append((value, frozenset(p["id"] for p in combo)))
    return sorted(found, key=lambda item: -item[0])


def _greedy(found: list, n: int, size: int, min_unique: int, limit: int) -> list[float]:
    """The brute-force answer: walk lineups best first, keep those allowed by earlier ones."""
    kept: list[frozenset] = []
    counts: dict[str, int] = {}
    for _value, members in found:
        if any(len(members & other) > size - min_unique for other in kept):
            continue
        if any(counts.get(i, 0) >= limit for i in members):
            continue
        kept.append(members)
        for i in members:
            counts[i] = counts.get(i, 0) + 1
        if len(kept) == n:
            break
    return [round(sum(v for v, m in found if m == k), 3) for k in kept]


def _solve(players: list[dict], rules: GameType, n: int, min_unique: int, share: float):
    slate = Slate(to_players(players), rules)
    search = LineupSearch(slate, slate.scaled(slate.projections), BoundsModel(slate))
    limits = exposure_limits(slate, n, share, {})
    lineups = best_lineups(search, n, min_unique, limits)
    return [round(float(slate.projections[lineup].sum()), 3) for lineup in lineups]


@pytest.mark.parametrize("seed", range(5))
def test_best_lineups_equal_brute_force(
    seed: int, tiny_rules: GameType, tiny_slate: Callable[..., list[dict]]
) -> None:
    """The k best distinct lineups have exactly the brute-force k best totals."""
    players = tiny_slate(seed, 20)
    expected = [value for value, _ in _valid_lineups(players, tiny_rules)[:8]]

    assert _solve(players, tiny_rules, 8, 1, 1.0) == expected


@pytest.mark.parametrize(
    ("min_unique", "share"), [(2, 1.0), (1, 0.5), (2, 0.5)], ids=["unique2", "exp50", "both"]
)
def test_uniqueness_and_exposure_sequence_equals_brute_force(
    min_unique: int, share: float, tiny_rules: GameType, tiny_slate: Callable[..., list[dict]]
) -> None:
    """With min_unique and exposure limits each lineup is the best one still allowed."""
    players = tiny_slate(11, 18)
    found = _valid_lineups(players, tiny_rules)
    limit = max(1, int(share * 6))

    expected = _greedy(found, 6, tiny_rules.size, min_unique, limit)

    assert _solve(players, tiny_rules, 6, min_unique, share) == expected


def test_pool_pruning_changes_nothing(nfl: list[dict]) -> None:
    """Lineups found on LP-pruned pools equal those found with every player in the model."""
    slate = Slate(to_players(nfl), game_type("nfl"))
    values = slate.scaled(slate.projections)
    limits = exposure_limits(slate, 12, 1.0, {})
    pruned = best_lineups(LineupSearch(slate, values, BoundsModel(slate)), 12, 1, limits)
    full_search = LineupSearch(slate, values, BoundsModel(slate), first_gap_share=1e9)

    full = best_lineups(full_search, 12, 1, limits)

    assert [int(values[x].sum()) for x in pruned] == [int(values[x].sum()) for x in full]


@pytest.mark.parametrize("sport", ["nfl", "nba"])
def test_every_lineup_obeys_the_rules(sport: str, nfl: list[dict], nba: list[dict]) -> None:
    """Slots in roster order, eligible positions, cap, two games, no repeats, true totals."""
    players = nfl if sport == "nfl" else nba

    result = optimize(players, OptimizeOptions(sport=sport, n_lineups=10, n_scenarios=0))

    assert len(result["lineups"]) == 10
    for lineup in result["lineups"]:
        assert lineup_problems(lineup, _index(players), sport) == []


def test_lineups_come_best_first(nba: list[dict]) -> None:
    """Projection totals never increase from one lineup to the next."""
    result = optimize(nba, OptimizeOptions(sport="nba", n_lineups=10, n_scenarios=0))

    totals = [lineup["projection"] for lineup in result["lineups"]]
    assert totals == sorted(totals, reverse=True)


def test_min_unique_separates_lineups(nfl: list[dict]) -> None:
    """Every pair of lineups differs by at least min_unique players."""
    result = optimize(nfl, OptimizeOptions(n_lineups=6, n_scenarios=0, min_unique=3))

    sets = [_ids(lineup) for lineup in result["lineups"]]
    assert all(len(a - b) >= 3 for a, b in itertools.combinations(sets, 2))


def test_exposure_limit_is_honoured(nfl: list[dict]) -> None:
    """No player appears in more than max_exposure of the lineups."""
    result = optimize(nfl, OptimizeOptions(n_lineups=10, n_scenarios=0, max_exposure=0.3))

    assert max(result["exposures"].values()) <= 0.3


def test_exposure_override_for_one_player(nfl: list[dict]) -> None:
    """A per-player exposure of 0 keeps that player out of every lineup."""
    best = optimize(nfl, OptimizeOptions(n_scenarios=0))["lineups"][0]
    star = best["players"][0]["id"]

    result = optimize(nfl, OptimizeOptions(n_lineups=3, n_scenarios=0, exposure={star: 0.0}))

    assert all(star not in _ids(lineup) for lineup in result["lineups"])


def test_locks_and_excludes(nfl: list[dict]) -> None:
    """Locked players are in every lineup; excluded ones in none."""
    best = optimize(nfl, OptimizeOptions(n_scenarios=0))["lineups"][0]
    excluded = best["players"][0]["id"]
    locked = next(p["id"] for p in nfl if p["positions"] == ["TE"] and p["salary"] < 4000)
    options = OptimizeOptions(n_lineups=4, n_scenarios=0, locks=[locked], excludes=[excluded])

    result = optimize(nfl, options)

    for lineup in result["lineups"]:
        assert locked in _ids(lineup) and excluded not in _ids(lineup)


def test_stack_puts_pass_catchers_with_the_qb(nfl: list[dict]) -> None:
    """With a stack, the QB's team supplies at least qb_with WR/TE and the opponent a bring-back."""
    stack = {"qb_with": 2, "bring_back": 1}

    result = optimize(nfl, OptimizeOptions(n_lineups=3, n_scenarios=0, stack=stack))

    players = _index(nfl)
    for lineup in result["lineups"]:
        chosen = [players[i] for i in _ids(lineup)]
        qb = next(p for p in chosen if p["positions"] == ["QB"])
        mates = [p for p in chosen if p["team"] == qb["team"] and p["positions"][0] in "WR TE"]
        rivals = [p for p in chosen if p["team"] == qb["opponent"] and p["positions"] != ["DST"]]
        assert len(mates) >= 2 and len(rivals) >= 1


def test_same_input_same_lineups(nba: list[dict]) -> None:
    """Equal requests give identical results, ties included."""
    options = OptimizeOptions(sport="nba", n_lineups=5, n_scenarios=0)

    assert optimize(nba, options) == optimize(nba, options)


def test_fewer_lineups_than_asked_is_a_warning(nfl: list[dict]) -> None:
    """When fewer lineups exist than asked, those there are come back with a warning."""
    locked = next(p["id"] for p in nfl if p["positions"] == ["WR"])
    options = OptimizeOptions(n_lineups=3, n_scenarios=0, locks=[locked], min_unique=9)

    result = optimize(nfl, options)

    assert len(result["lineups"]) == 1 and "only 1 lineups" in result["warnings"][0]


def test_exposures_are_lineup_fractions(nfl: list[dict]) -> None:
    """Reported exposures are the fraction of lineups each player is in."""
    result = optimize(nfl, OptimizeOptions(n_lineups=4, n_scenarios=0))

    counts: dict[str, int] = {}
    for lineup in result["lineups"]:
        for i in _ids(lineup):
            counts[i] = counts.get(i, 0) + 1
    assert result["exposures"] == {i: c / 4 for i, c in sorted(counts.items())}
    assert np.isclose(sum(result["exposures"].values()), 9)
