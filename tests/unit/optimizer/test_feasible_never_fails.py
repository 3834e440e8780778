"""Property: on generated real-size slates, no feasible request ever fails.

Many seeds x slates of 400-500 players over 10-14 games, NFL and NBA, with requests drawn
from the options (simulated and exact, uniqueness, exposure, locks, stacks). Every request
here is feasible (one locked player always fits a lineup; these slates always allow the
stacks), so each must return valid lineups.
"""

from __future__ import annotations

import random

import pytest

from bench.slates import nba_slate, nfl_slate
from tests.unit.optimizer.validator import lineup_problems
from webapp.optimizer import OptimizeOptions, optimize

CASES = 10


def _slate(sport: str, rng: random.Random) -> list[dict]:
    if sport == "nfl":  # 38 players a game
        return nfl_slate(rng.randrange(10_000), games=rng.choice([11, 12, 13]))
    games = rng.randint(10, 14)
    per_team = rng.randint(400, 500) // (2 * games)
    return nba_slate(rng.randrange(10_000), games=games, per_team=per_team)


def _request(sport: str, players: list[dict], rng: random.Random) -> OptimizeOptions:
    stack = {"qb_with": rng.choice([1, 2]), "bring_back": rng.choice([0, 1])}
    return OptimizeOptions(
        sport=sport,
        n_lineups=rng.choice([1, 4]),
        n_scenarios=rng.choice([0, 120]),
        seed=rng.randrange(2**31),
        min_unique=rng.choice([1, 1, 2]),
        max_exposure=rng.choice([1.0, 0.5]),
        locks=[rng.choice(players)["id"]] if rng.random() < 0.3 else [],
        stack=stack if sport == "nfl" and rng.random() < 0.3 else None,
        selection=rng.choice(["mean", "percentile"]),
    )


@pytest.mark.slow
@pytest.mark.parametrize("case", range(CASES))
@pytest.mark.parametrize("sport", ["nfl", "nba"])
def test_feasible_requests_return_valid_lineups(sport: str, case: int) -> None:
    """A feasible request on a real-size slate returns valid lineups (never "infeasible")."""
    rng = random.Random(f"{sport}-{case}")
    players = _slate(sport, rng)
    options = _request(sport, players, rng)
    assert 400 <= len(players) <= 500

    result = optimize(players, options)

    by_id = {p["id"]: p for p in players}
    assert len(result["lineups"]) >= 1
    for lineup in result["lineups"]:
        assert lineup_problems(lineup, by_id, sport) == []
        assert set(options.locks) <= {e["id"] for e in lineup["players"]}
