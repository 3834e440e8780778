"""Fixtures for the optimizer tests: small seeded slates and a tiny rule table."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from bench.slates import nba_slate, nfl_slate
from webapp.optimizer.rules import NFL_OUTCOMES, GameType, Slot

TINY = GameType(
    sport="tiny",
    contest_type="classic",
    slots=(
        Slot("QB", frozenset({"QB"})),
        Slot("RB", frozenset({"RB"})),
        Slot("WR", frozenset({"WR"})),
        Slot("FLEX", frozenset({"RB", "WR"})),
    ),
    salary_cap=20_000,
    outcomes=NFL_OUTCOMES,
    min_games=2,
)


@pytest.fixture(scope="session")
def nfl() -> list[dict]:
    """A four-game NFL slate (about 150 players)."""
    return nfl_slate(seed=7, games=4)


@pytest.fixture(scope="session")
def nba() -> list[dict]:
    """A three-game NBA slate with multi-position players."""
    return nba_slate(seed=7, games=3)


@pytest.fixture
def tiny_rules() -> GameType:
    """Four slots (QB, RB, WR, FLEX=RB/WR), a 20,000 cap, two games."""
    return TINY


@pytest.fixture
def tiny_slate() -> Callable[..., list[dict]]:
    """Factory of small random slates for the tiny rules."""
    return _tiny_slate


def _tiny_slate(seed: int, size: int = 16) -> list[dict]:
    rng = random.Random(seed)
    players = []
    for i in range(size):
        team = rng.choice(["A", "B", "C", "D"])
        opponent = {"A": "B", "B": "A", "C": "D", "D": "C"}[team]
        players.append(
            {
                "id": f"t{i}",
                "name": f"t{i}",
                "positions": rng.choice([["QB"], ["RB"], ["WR"], ["WR"], ["RB", "WR"]]),
                "salary": rng.randrange(3000, 8000, 100),
                "team": team,
                "opponent": opponent,
                "projection": round(rng.uniform(5, 25), 3),
                "stdev": None,
            }
        )
    return players
