"""Lineups chosen by simulated contest ROI (the optimizer's selection "roi")."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.contest.conftest import PAYOUTS_200, QUICK_FIELD
from tests.unit.contest.test_run import _with_a_zero_player
from webapp.contest.selection import ContestPricer
from webapp.optimizer import OptimizeOptions, optimize

CONTEST = {
    "field_size": 200,
    "entry_fee": 5.0,
    "max_entries": 150,
    "payouts": PAYOUTS_200,
    "field_model": QUICK_FIELD,
}


def test_a_candidate_worse_in_every_sim_pays_less(
    small_nfl: list[dict], best_lineups: list[list[str]]
) -> None:
    """Entered alone, a lineup that always scores less than another is paid less."""
    players, worse = _with_a_zero_player(small_nfl, best_lineups[0])
    pricer = ContestPricer(players, "nfl", CONTEST, entered=2, n_sims=400, seed=1)

    paid = pricer.mean_payouts(pricer.lineups([best_lineups[0], worse]))

    assert paid[1] < paid[0]


def test_beside_a_portfolio_a_copy_of_its_lineup_is_worth_less(
    small_nfl: list[dict], best_lineups: list[list[str]]
) -> None:
    """Priced beside a portfolio, a lineup of the portfolio is worth what it is alone with the
    others beside it, and a lineup like one already chosen is worth less than alone: they
    share the places they win."""
    pricer = ContestPricer(small_nfl, "nfl", CONTEST, entered=3, n_sims=600, seed=1)
    lineups = pricer.lineups(best_lineups[:3])

    alone = pricer.mean_payouts(lineups)
    beside_first = pricer.mean_payouts(lineups, lineups[:1])
    beside_itself = pricer.mean_payouts(lineups[:1], lineups[:1])

    assert beside_itself[0] == pytest.approx(alone[0])
    assert beside_first[1] < alone[1] and beside_first[2] < alone[2]


def _roi_options(**overrides: Any) -> OptimizeOptions:
    fields = {
        "n_lineups": 4,
        "n_scenarios": 300,
        "seed": 5,
        "selection": "roi",
        "contest": CONTEST,
        "threads": 1,
    }
    return OptimizeOptions(**{**fields, **overrides})


@pytest.mark.slow
def test_roi_selection_keeps_the_portfolio_rules(small_nfl: list[dict]) -> None:
    """Chosen by ROI, the lineups still differ by min_unique and keep max_exposure; each
    reports its ROI, and the same request gives the same lineups."""
    options = _roi_options(min_unique=3, max_exposure=0.5)

    result = optimize(small_nfl, options)
    again = optimize(small_nfl, options)

    lineups = [{p["id"] for p in row["players"]} for row in result["lineups"]]
    assert len(lineups) == 4
    assert all(len(a & b) <= 6 for i, a in enumerate(lineups) for b in lineups[i + 1 :])
    assert max(result["exposures"].values()) <= 0.5
    assert all(isinstance(row["roi"], float) for row in result["lineups"])
    assert result["settings"]["selection"] == "roi" and "contest" in result["settings"]
    assert again["lineups"] == result["lineups"]


def test_other_selections_report_no_roi(small_nfl: list[dict]) -> None:
    """Lineups chosen by mean carry no roi, and their settings no contest."""
    result = optimize(small_nfl, OptimizeOptions(n_lineups=2, n_scenarios=100, seed=5, threads=1))

    assert "roi" not in result["lineups"][0] and "contest" not in result["settings"]
