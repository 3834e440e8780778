"""Prizes by rank, paid as DraftKings pays them: entries tied on points split the prizes of the
ranks they occupy together.

A contest of N entries pays `prize(r)` at rank r (1-based; ranks no row names pay 0). When t
entries share a score and g entries score more, they occupy ranks g+1 .. g+t and each receives
(C[g+t] - C[g]) / t, where C[r] is the sum of the prizes of ranks 1..r. Duplicates of one
lineup always score the same, so they always tie.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

MAX_PAYOUT_ROWS = 500  # rows of a payout table; DraftKings' largest list well under 100
MAX_PRIZE = 100_000_000  # dollars at one rank


def payout_problems(rows: Sequence[Mapping[str, Any]], field_size: int) -> list[str]:
    """What is wrong with a payout table for a contest of `field_size` entries (empty when
    nothing is): ranks inside 1..field_size, min_rank <= max_rank, no rank listed twice."""
    problems = []
    spans = sorted((int(row["min_rank"]), int(row["max_rank"])) for row in rows)
    for low, high in spans:
        if low > high:
            problems.append(f"ranks {low}-{high}: min_rank is above max_rank")
        if high > field_size:
            problems.append(f"ranks {low}-{high}: beyond the field_size of {field_size}")
    for (_, high), (next_low, _) in itertools.pairwise(spans):
        if next_low <= high:
            problems.append(f"rank {next_low} is listed twice")
    return problems


class Payouts:
    """A contest's prizes by rank, as cumulative sums, ready to pay ties."""

    def __init__(self, rows: Sequence[Mapping[str, Any]], field_size: int) -> None:
        problems = payout_problems(rows, field_size)
        if problems:
            raise ValueError("; ".join(problems))
        prizes = np.zeros(field_size + 1, dtype=np.float64)  # prizes[r] for rank r, [0] unused
        for row in rows:
            prizes[int(row["min_rank"]) : int(row["max_rank"]) + 1] = float(row["prize"])
        self.field_size = field_size
        self.cumulative = np.cumsum(prizes)  # cumulative[r] = prizes of ranks 1..r
        self.total = float(self.cumulative[-1])
        self.paid_ranks = int(np.flatnonzero(prizes)[-1]) if prizes.any() else 0

    def split(self, greater: np.ndarray, tied: np.ndarray) -> np.ndarray:
        """What each of `tied` entries receives when `greater` entries scored more (arrays of
        the same shape; greater + tied <= field_size, tied >= 1)."""
        cumulative = self.cumulative
        return (cumulative[greater + tied] - cumulative[greater]) / tied


def pay_entries(scores: np.ndarray, payouts: Payouts) -> np.ndarray:
    """Every entry's prize in one contest, from every entry's score: the reference the
    simulation's fast ranking is checked against (sorts all N scores)."""
    ordered = np.sort(scores)
    at_least = np.searchsorted(ordered, scores, side="left")
    above = np.searchsorted(ordered, scores, side="right")
    greater = len(scores) - above
    tied = above - at_least
    return payouts.split(greater, tied)
