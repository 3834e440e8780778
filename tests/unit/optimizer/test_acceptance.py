"""Simulation mode against plain projections, judged out of sample by an independent model.

Lineups are built with the optimizer's own scenarios, then scored on 20,000 outcomes of
independent_model.py (other factors, loadings and marginals). Floors: `mean` keeps 99% of
the exact lineups' average mean; `percentile` (90) keeps 99% of the best average p90 of the
exact and exact + QB-stack portfolios; with min_unique 3 it keeps 99% of the p90 of exact +
QB+2 + bring-back with min_unique 3 (NFL; exact with min_unique 3 in NBA) and beats its
expected best lineup (E[max]).
"""

from __future__ import annotations

from typing import Any

import pytest

from bench.independent_model import lineup_ids, outcomes, portfolio_stats
from bench.slates import nba_slate, nfl_slate
from webapp.optimizer import OptimizeOptions, optimize

N_LINEUPS = 20
SCENARIOS = 1000
JUDGE_SCENARIOS = 20_000
KEEP = 0.99

pytestmark = pytest.mark.slow


def _stats(players: list[dict], sport: str, **options: Any) -> dict:
    request = OptimizeOptions(sport=sport, n_lineups=N_LINEUPS, seed=5, **options)
    points = outcomes(players, sport, JUDGE_SCENARIOS, seed=99)
    return portfolio_stats(lineup_ids(optimize(players, request)), players, points)


@pytest.fixture(scope="module")
def nfl_real() -> list[dict]:
    """A 456-player, 12-game NFL slate."""
    return nfl_slate(seed=1)


@pytest.fixture(scope="module")
def nba_real() -> list[dict]:
    """A 256-player, 8-game NBA slate."""
    return nba_slate(seed=1)


@pytest.mark.parametrize("sport", ["nfl", "nba"])
def test_mean_selection_keeps_the_exact_mean(sport: str, nfl_real, nba_real) -> None:
    """selection=mean keeps at least 99% of the exact lineups' average mean."""
    players = nfl_real if sport == "nfl" else nba_real
    exact = _stats(players, sport, n_scenarios=0)

    chosen = _stats(players, sport, n_scenarios=SCENARIOS, selection="mean")

    assert chosen["mean"] >= KEEP * exact["mean"]


@pytest.mark.parametrize("sport", ["nfl", "nba"])
def test_percentile_selection_keeps_the_best_p90(sport: str, nfl_real, nba_real) -> None:
    """selection=percentile keeps 99% of the best p90 of exact and exact + QB stacks."""
    players = nfl_real if sport == "nfl" else nba_real
    stacks = [None, {"qb_with": 1}, {"qb_with": 2}] if sport == "nfl" else [None]
    best = max(_stats(players, sport, n_scenarios=0, stack=stack)["p90"] for stack in stacks)

    chosen = _stats(players, sport, n_scenarios=SCENARIOS, selection="percentile")

    assert chosen["p90"] >= KEEP * best


@pytest.mark.parametrize("sport", ["nfl", "nba"])
def test_unique_percentile_keeps_p90_and_beats_best_of_portfolio(
    sport: str, nfl_real, nba_real
) -> None:
    """With min_unique 3, p90 stays within 99% of the stacked exact portfolio's and the
    expected best lineup of the portfolio is higher."""
    players = nfl_real if sport == "nfl" else nba_real
    stack = {"qb_with": 2, "bring_back": 1} if sport == "nfl" else None
    baseline = _stats(players, sport, n_scenarios=0, stack=stack, min_unique=3)

    chosen = _stats(players, sport, n_scenarios=SCENARIOS, selection="percentile", min_unique=3)

    assert chosen["p90"] >= KEEP * baseline["p90"]
    assert chosen["emax"] > baseline["emax"]
