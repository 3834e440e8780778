"""MLB and NHL classic: their slots and aliases, team and game rules, and their options."""

from __future__ import annotations

import pytest

from bench.slates import mlb_slate, nhl_slate
from tests.unit.optimizer.milp import best_total
from tests.unit.optimizer.validator import HITTERS, SKATERS, lineup_problems
from webapp.optimizer import OptimizeOptions, optimize

MLB = mlb_slate(seed=6, games=5)
NHL = nhl_slate(seed=6, games=4)
SLATES = {"mlb": MLB, "nhl": NHL}
COUNTED = {"mlb": HITTERS, "nhl": SKATERS}


def _best(sport: str, players: list[dict], n: int = 5, **options: object) -> list[dict]:
    result = optimize(players, OptimizeOptions(sport=sport, n_lineups=n, n_scenarios=0, **options))
    by_id = {p["id"]: p for p in players}
    for lineup in result["lineups"]:
        assert lineup_problems(lineup, by_id, sport) == []
    return result["lineups"]


def _chosen(lineup: dict, players: list[dict]) -> list[dict]:
    by_id = {p["id"]: p for p in players}
    return [by_id[e["id"]] for e in lineup["players"]]


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("sport", ["mlb", "nhl"])
def test_the_best_lineup_is_the_milp_optimum(sport: str, seed: int) -> None:
    """With SP/RP as P, LW/RW as W and multi-position hitters, the best lineup is the optimum
    of the independent MILP."""
    players = mlb_slate(seed, games=4) if sport == "mlb" else nhl_slate(seed, games=4)

    lineup = _best(sport, players, n=1)[0]

    assert lineup["projection"] == pytest.approx(best_total(players, sport), abs=1e-3)


def test_at_most_five_hitters_of_one_team() -> None:
    """A team whose hitters all outscore the slate still fills at most five hitter slots."""
    team = MLB[0]["team"]
    players = [
        {**p, "projection": p["projection"] + 30}
        if p["team"] == team and p["positions"][0] in HITTERS
        else p
        for p in MLB
    ]

    lineup = _best("mlb", players, n=1)[0]

    chosen = _chosen(lineup, players)
    assert sum(p["team"] == team and p["positions"][0] in HITTERS for p in chosen) == 5
    assert lineup["projection"] == pytest.approx(best_total(players, "mlb"), abs=1e-3)


def test_nhl_skaters_come_from_three_teams() -> None:
    """Two teams whose skaters outscore the slate still leave a skater slot to a third team."""
    game = {NHL[0]["team"], NHL[0]["opponent"]}
    players = [
        {**p, "projection": p["projection"] + 20}
        if p["team"] in game and p["positions"] != ["G"]
        else p
        for p in NHL
    ]

    lineup = _best("nhl", players, n=1)[0]

    skaters = [p for p in _chosen(lineup, players) if p["positions"] != ["G"]]
    assert len({p["team"] for p in skaters}) >= 3
    assert lineup["projection"] == pytest.approx(best_total(players, "nhl"), abs=1e-3)


@pytest.mark.parametrize(("sport", "sizes"), [("mlb", (5, 3)), ("mlb", (4,)), ("nhl", (3, 2))])
def test_team_stacks_are_in_every_lineup(sport: str, sizes: tuple[int, ...]) -> None:
    """Every lineup holds the stacks asked for (the largest team counts reach the sizes in
    order), and the best is the MILP's optimum under the same stacks."""
    players = SLATES[sport]

    lineups = _best(sport, players, team_stack=list(sizes))

    for lineup in lineups:
        counts: dict[str, int] = {}
        for p in _chosen(lineup, players):
            if set(p["positions"]) & COUNTED[sport]:
                counts[p["team"]] = counts.get(p["team"], 0) + 1
        largest = sorted(counts.values(), reverse=True)
        assert all(have >= need for have, need in zip(largest, sizes, strict=False))
    expected = best_total(players, sport, team_stack=sizes)
    assert lineups[0]["projection"] == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize(("sport", "guard"), [("mlb", {"SP", "RP"}), ("nhl", {"G"})])
def test_avoid_opposing_keeps_players_off_their_own_pitcher_or_goalie(
    sport: str, guard: set[str]
) -> None:
    """No hitter faces the lineup's pitchers, no skater its goalie; the best such lineup is
    the MILP's."""
    players = SLATES[sport]

    lineups = _best(sport, players, avoid_opposing=True)

    for lineup in lineups:
        chosen = _chosen(lineup, players)
        facing = {p["opponent"] for p in chosen if set(p["positions"]) & guard}
        assert not [
            p for p in chosen if p["team"] in facing and set(p["positions"]) & COUNTED[sport]
        ]
    expected = best_total(players, sport, avoid_opposing=True)
    assert lineups[0]["projection"] == pytest.approx(expected, abs=1e-3)
