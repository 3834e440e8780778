"""Payouts by rank with DraftKings' tie rule, against hand-computed contests."""

from __future__ import annotations

import numpy as np
import pytest

from webapp.contest.payouts import Payouts, pay_entries, payout_problems
from webapp.contest.ranking import Ranker


def _table(*prizes: float) -> list[dict]:
    return [{"min_rank": r, "max_rank": r, "prize": p} for r, p in enumerate(prizes, start=1)]


@pytest.mark.parametrize(
    ("scores", "prizes", "expected"),
    [
        ([10, 8, 8, 5, 1], (100, 50, 20, 10), [100, 35, 35, 10, 0]),
        ([9, 9, 9, 1], (100, 50, 20), [170 / 3, 170 / 3, 170 / 3, 0]),
        ([5, 4, 4, 4], (30, 30), [30, 10, 10, 10]),
        ([1, 2, 3], (60, 30, 10), [10, 30, 60]),
        ([7, 7], (50,), [25, 25]),
    ],
    ids=["two-tie-mid", "three-way-first", "tie-across-the-cash-line", "unsorted", "all-tied"],
)
def test_ties_split_the_prizes_of_the_ranks_they_occupy(
    scores: list[float], prizes: tuple[float, ...], expected: list[float]
) -> None:
    """Entries tied on points share the summed prizes of the ranks they hold together."""
    payouts = Payouts(_table(*prizes), len(scores))

    paid = pay_entries(np.array(scores, dtype=np.float64), payouts)

    np.testing.assert_allclose(paid, expected)


def test_a_rank_range_pays_each_rank() -> None:
    """A row 3-5 pays its prize at each of ranks 3, 4 and 5."""
    payouts = Payouts(
        [{"min_rank": 1, "max_rank": 2, "prize": 10}, {"min_rank": 3, "max_rank": 5, "prize": 4}], 6
    )

    paid = pay_entries(np.array([6.0, 5, 4, 3, 2, 1]), payouts)

    assert paid.tolist() == [10, 10, 4, 4, 4, 0]
    assert payouts.total == 32


def test_duplicates_of_our_lineup_tie_with_it() -> None:
    """Two field copies of our lineup and ours occupy ranks 1-3: each gets a third of their
    prizes (90 + 60 + 30) / 3 = 60; the other lineup gets the 4th prize."""
    field = np.array([[0, 1], [2, 3]])
    counts = np.array([2, 1])
    ours = np.array([[0, 1]])
    points = np.array([[5.0, 5.0, 3.0, 3.0]], dtype=np.float32)
    payouts = Payouts(_table(90, 60, 30, 6), 4)

    _, greater, tied = Ranker(field, counts, ours).rank(points)

    assert (greater.tolist(), tied.tolist()) == ([[0]], [[3]])
    assert payouts.split(greater, tied).tolist() == [[60.0]]


def test_two_of_our_entries_of_one_lineup_tie_with_each_other() -> None:
    """Entering one lineup twice makes two tied entries, both counted."""
    ours = np.array([[0, 1], [0, 1], [2, 3]])
    points = np.array([[1.0, 1.0, 4.0, 4.0]], dtype=np.float32)
    payouts = Payouts(_table(10, 6, 2), 3)

    _, greater, tied = Ranker(np.empty((0, 2), dtype=np.int64), np.empty(0), ours).rank(points)

    assert payouts.split(greater, tied).tolist() == [[4.0, 4.0, 10.0]]


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        ([{"min_rank": 2, "max_rank": 1, "prize": 1}], "min_rank is above max_rank"),
        ([{"min_rank": 1, "max_rank": 11, "prize": 1}], "beyond the field_size of 10"),
        (
            [
                {"min_rank": 1, "max_rank": 3, "prize": 1},
                {"min_rank": 3, "max_rank": 4, "prize": 1},
            ],
            "rank 3 is listed twice",
        ),
    ],
    ids=["reversed", "beyond-field", "overlap"],
)
def test_bad_tables_are_named(rows: list[dict], problem: str) -> None:
    """Every broken rule of a payout table is reported in words."""
    assert any(problem in p for p in payout_problems(rows, 10))
    with pytest.raises(ValueError, match=problem):
        Payouts(rows, 10)
