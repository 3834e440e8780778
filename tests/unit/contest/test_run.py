"""Contest simulations end to end: ROI ordering, standard errors, seeds, a given field,
checkpoints."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

from tests.unit.contest.conftest import PAYOUTS_200, contest_request
from webapp.contest.payouts import Payouts, pay_entries
from webapp.contest.run import run_contest
from webapp.contest.simulate import OUTCOME_STREAM
from webapp.contest.slate import ContestSlate
from webapp.optimizer.scenarios import Simulator


def _with_a_zero_player(players: list[dict], lineup: list[str]) -> tuple[list[dict], list[str]]:
    """The slate with one more WR projected 0 (he scores 0 in every sim), and `lineup` with
    its cheapest WR swapped for him: worse in every sim."""
    by_id = {p["id"]: p for p in players}
    wr = min(
        (i for i in lineup if by_id[i]["positions"] == ["WR"]), key=lambda i: by_id[i]["salary"]
    )
    zero = {
        **by_id[wr],
        "id": "zero-wr",
        "name": "Zero WR",
        "projection": 0.0,
        "stdev": 0.0,
        "ownership": 0.0,
    }
    return [*players, zero], [i if i != wr else "zero-wr" for i in lineup]


def test_a_lineup_worse_in_every_sim_has_the_lower_roi(
    small_nfl: list[dict], best_lineups: list[list[str]]
) -> None:
    """Swapping a player for one who always scores 0 lowers the lineup's ROI."""
    players, worse = _with_a_zero_player(small_nfl, best_lineups[0])

    result = run_contest(players, contest_request([best_lineups[0], worse]))

    better_row, worse_row = result["lineups"]
    assert worse_row["roi"] < better_row["roi"]
    assert worse_row["mean_payout"] < better_row["mean_payout"]


def test_roi_se_shrinks_like_one_over_root_n(
    small_nfl: list[dict], best_lineups: list[list[str]]
) -> None:
    """Sixteen times the sims give a standard error about a quarter as large."""
    few = run_contest(small_nfl, contest_request(best_lineups, n_sims=500))
    many = run_contest(small_nfl, contest_request(best_lineups, n_sims=8000))

    ratios = [
        a["roi_se"] / b["roi_se"] for a, b in zip(few["lineups"], many["lineups"], strict=True)
    ]
    portfolio = few["portfolio"]["roi_se"] / many["portfolio"]["roi_se"]

    assert 3.0 <= float(np.median(ratios)) <= 5.3
    assert 3.0 <= portfolio <= 5.3


def test_the_same_seed_gives_the_same_result(
    small_nfl: list[dict], best_lineups: list[list[str]]
) -> None:
    """Equal requests give equal results; another seed gives other numbers."""
    request = contest_request(best_lineups[:4], optimal_sims=20)

    first = run_contest(small_nfl, request)
    again = run_contest(small_nfl, copy.deepcopy(request))
    other = run_contest(small_nfl, contest_request(best_lineups[:4], optimal_sims=20, seed=2))

    assert first == again
    assert first["portfolio"] != other["portfolio"]


def _entries(slate: ContestSlate, lineups: list[list[str]]) -> np.ndarray:
    return np.array([sorted(slate.index[i] for i in ids) for ids in lineups])


def test_given_field_lineups_are_used_exactly(
    small_nfl: list[dict], best_lineups: list[list[str]]
) -> None:
    """With field_lineups the field is exactly those entries: each of our mean payouts equals
    a brute-force contest of every entry, sim by sim, on the same outcomes."""
    field = [best_lineups[5]] * 3 + best_lineups[6:] + best_lineups[1:2] * 191
    ours = best_lineups[:2]
    request = contest_request(ours, field_lineups=field, n_sims=300)

    result = run_contest(small_nfl, request)

    slate = ContestSlate(small_nfl, "nfl")
    everyone = np.vstack([_entries(slate, field), _entries(slate, ours)])
    points = (
        Simulator(slate.players, slate.rules.outcomes)
        .rows(300, 1, OUTCOME_STREAM)
        .astype(np.float64)
    )
    payouts = Payouts(PAYOUTS_200, 200)
    paid = np.array([pay_entries(row[everyone].sum(axis=1), payouts) for row in points])
    expected = paid[:, -2:].mean(axis=0)
    assert result["field"]["source"] == "given"
    assert (result["field"]["entries"], result["field"]["unique_lineups"]) == (198, 6)
    assert [row["dupes"] for row in result["lineups"]] == [0, 191]
    assert [row["mean_payout"] for row in result["lineups"]] == pytest.approx(expected, abs=1e-3)


class _Interrupt(Exception):
    pass


class _Memory:
    """A checkpoint kept in memory."""

    def __init__(self) -> None:
        self.state: dict[str, Any] | None = None

    def load(self) -> dict[str, Any] | None:
        return self.state

    def save(self, state: dict[str, Any]) -> None:
        self.state = copy.deepcopy(state)


def test_a_run_stopped_after_a_batch_resumes_to_the_same_result(
    small_nfl: list[dict], best_lineups: list[list[str]]
) -> None:
    """A simulation stopped after its first batch of sims and run again with its checkpoint
    finishes with the result of an uninterrupted run."""
    request = contest_request(best_lineups[:3], n_sims=5000, optimal_sims=5)
    memory = _Memory()

    def stop_after_a_batch(fraction: float, phase: str) -> None:
        if phase == "simulating" and memory.state is not None:
            raise _Interrupt

    with pytest.raises(_Interrupt):
        run_contest(small_nfl, request, stop_after_a_batch, memory)
    resumed = run_contest(small_nfl, request, None, memory)

    assert memory.state["tallies"]["sims"] == 5000
    assert resumed == run_contest(small_nfl, request)


def test_the_result_reports_every_statistic(
    small_nfl: list[dict], best_lineups: list[list[str]]
) -> None:
    """Lineups, players, portfolio and field carry the statistics the API documents."""
    result = run_contest(small_nfl, contest_request(best_lineups[:2], optimal_sims=10))

    lineup, player = result["lineups"][0], result["players"][0]
    assert set(lineup) >= {
        "roi",
        "roi_se",
        "win_pct",
        "top1_pct",
        "cash_pct",
        "mean_payout",
        "dupes",
        "ownership_sum",
        "ownership_product",
        "players",
    }
    assert set(player) == {
        "id",
        "name",
        "proj_ownership",
        "field_ownership",
        "exposure",
        "optimal_pct",
        "leverage",
    }
    assert set(result["portfolio"]) >= {"roi", "roi_se", "p_profit"}
    assert result["settings"]["optimal_sims"] == 10
    optimal = sum(p["optimal_pct"] for p in result["players"])
    assert optimal == pytest.approx(900, abs=0.1)  # nine players in each best lineup
