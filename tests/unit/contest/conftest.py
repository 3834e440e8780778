"""Fixtures for the contest tests: small seeded slates with ownership, lineups to enter."""

from __future__ import annotations

from typing import Any

import pytest

from bench.slates import nfl_slate, with_ownership
from webapp.optimizer import OptimizeOptions, optimize

# A top-heavy payout table for a 200-entry contest: 1st 40% of a $900 pool ...
PAYOUTS_200 = [
    {"min_rank": 1, "max_rank": 1, "prize": 300.0},
    {"min_rank": 2, "max_rank": 2, "prize": 150.0},
    {"min_rank": 3, "max_rank": 5, "prize": 50.0},
    {"min_rank": 6, "max_rank": 45, "prize": 7.5},
]
# Small knobs keep a test's field quick to build; the model is the same.
QUICK_FIELD = {"calibration_lineups": 2000, "calibration_rounds": 6, "optimizer_builds": 4}


@pytest.fixture(scope="session")
def small_nfl() -> list[dict[str, Any]]:
    """A four-game NFL slate (about 150 players) with projected ownership."""
    return with_ownership(nfl_slate(seed=7, games=4), "nfl")


@pytest.fixture(scope="session")
def best_lineups(small_nfl: list[dict[str, Any]]) -> list[list[str]]:
    """The ten best lineups of the small slate by projection, as player ids."""
    result = optimize(small_nfl, OptimizeOptions(n_lineups=10, n_scenarios=0))
    return [[entry["id"] for entry in lineup["players"]] for lineup in result["lineups"]]


def contest_request(lineups: list[list[str]], **contest: Any) -> dict[str, Any]:
    """A contest request for the small NFL slate: 200 entries, $5, 500 sims, seed 1."""
    spec = {
        "field_size": 200,
        "entry_fee": 5.0,
        "max_entries": 150,
        "payouts": PAYOUTS_200,
        "n_sims": 500,
        "seed": 1,
        "optimal_sims": 0,
        "field_model": QUICK_FIELD,
    }
    spec.update(contest)
    return {"sport": "nfl", "contest_type": "classic", "lineups": lineups, "contest": spec}
