"""Showdown Captain Mode: a captain at 1.5x, a player in one slot at most, captain options."""

from __future__ import annotations

import numpy as np
import pytest

from bench.slates import showdown_slate
from tests.unit.optimizer.milp import best_total
from tests.unit.optimizer.validator import lineup_problems
from webapp.optimizer import InfeasibleError, OptimizeOptions, game_type, optimize
from webapp.optimizer.players import to_players
from webapp.optimizer.scenarios import Simulator
from webapp.optimizer.slate import Slate

NFL = showdown_slate("nfl", seed=4)
NBA = showdown_slate("nba", seed=4)


def _options(sport: str = "nfl", **changes: object) -> OptimizeOptions:
    return OptimizeOptions(sport=sport, contest_type="showdown", n_scenarios=0, **changes)


def _by_id(players: list[dict]) -> dict[str, dict]:
    return {p["id"]: p for p in players}


def _star_slate() -> list[dict]:
    """A cheap star whose two rows would both be in the best lineup if a player could fill two
    slots."""
    star = {**NFL[0], "projection": 40.0}
    return [
        {**star, "id": "star-cpt", "salary": 3000},
        {**star, "id": "star-flex", "salary": 2000, "roster_position": "FLEX"},
        *NFL[2:],
    ]


def test_a_player_fills_at_most_one_slot() -> None:
    """The star's CPT and FLEX rows never share a lineup, and the best lineup is still the
    independent MILP's optimum."""
    players = _star_slate()

    result = optimize(players, _options(n_lineups=10))

    assert all(
        not {"star-cpt", "star-flex"} <= {e["id"] for e in lineup["players"]}
        for lineup in result["lineups"]
    )
    assert result["lineups"][0]["projection"] == pytest.approx(
        best_total(players, "nfl", "showdown"), abs=1e-3
    )


@pytest.mark.parametrize("sport", ["nfl", "nba"])
def test_the_captain_counts_one_and_a_half_times(sport: str) -> None:
    """The captain fills the first slot from a CPT row and his points count 1.5 times."""
    players = NFL if sport == "nfl" else NBA

    lineup = optimize(players, _options(sport, n_lineups=1))["lineups"][0]

    by_id = _by_id(players)
    captain = by_id[lineup["players"][0]["id"]]
    flex = [by_id[e["id"]] for e in lineup["players"][1:]]
    assert captain["roster_position"] == "CPT"
    expected = 1.5 * captain["projection"] + sum(p["projection"] for p in flex)
    assert lineup["projection"] == pytest.approx(expected, abs=1e-3)
    assert lineup_problems(lineup, by_id, sport, "showdown") == []


def test_captain_exposure_is_the_exposure_of_his_cpt_row() -> None:
    """An exposure on a CPT row's id caps how often that player is captain, not how often he
    plays."""
    best = optimize(NFL, _options(n_lineups=1))["lineups"][0]
    captain = best["players"][0]["id"]

    result = optimize(NFL, _options(n_lineups=10, exposure={captain: 0.2}))

    captains = [lineup["players"][0]["id"] for lineup in result["lineups"]]
    assert captains.count(captain) == 2 and len(captains) == 10


@pytest.mark.parametrize("k", [2, 4])
def test_captain_with_puts_k_teammates_beside_the_captain(k: int) -> None:
    """Every lineup's captain has at least k FLEX players of his team, and the best such
    lineup is the MILP's."""
    result = optimize(NFL, _options(n_lineups=5, captain_with=k))

    by_id = _by_id(NFL)
    for lineup in result["lineups"]:
        team = by_id[lineup["players"][0]["id"]]["team"]
        assert sum(by_id[e["id"]]["team"] == team for e in lineup["players"][1:]) >= k
        assert lineup_problems(lineup, by_id, "nfl", "showdown") == []
    assert result["lineups"][0]["projection"] == pytest.approx(
        best_total(NFL, "nfl", "showdown", captain_with=k), abs=1e-3
    )


def test_one_team_cannot_fill_a_lineup() -> None:
    """Players of both teams are needed: a file of one team's rows has no lineup."""
    team = NFL[0]["team"]

    with pytest.raises(InfeasibleError, match="2 teams"):
        optimize([p for p in NFL if p["team"] == team], _options())


def test_a_players_two_rows_share_one_draw() -> None:
    """Simulated, the captain row scores 1.5 times the same player's FLEX row in every
    scenario; different players keep their own draws."""
    slate = Slate(to_players(NFL, game_type("nfl", "showdown")), game_type("nfl", "showdown"))
    cpt, flex = slate.index[NFL[0]["id"]], slate.index[NFL[1]["id"]]

    points = Simulator.for_slate(slate).rows(500, 7, 0)

    assert np.allclose(points[:, cpt], 1.5 * points[:, flex], rtol=1e-5)
    assert not np.allclose(points[:, flex], points[:, slate.index[NFL[3]["id"]]])
