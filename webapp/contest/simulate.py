"""The contest, simulated: player outcomes in batches, our entries ranked and paid in each sim,
tallies kept (never the sims x entries matrix).

Outcomes come from the optimizer's correlated simulations (webapp.optimizer.scenarios) on
their own random stream of the seed, a batch of float32 points at a time, ranked
`RANK_SIMS` at a time (ranking.py); a batch's points are dropped once ranked, so memory
stays at a few field-sized arrays whatever n_sims is. The first sims are also
solved exactly for the best lineup of the slate (optimal_pct; `Contest.optimal_sims`, default
DEFAULT_OPTIMAL_SIMS).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from webapp.contest.field import Field
from webapp.contest.payouts import Payouts
from webapp.contest.ranking import Ranker
from webapp.contest.slate import ContestSlate
from webapp.optimizer.bounds import BoundsModel
from webapp.optimizer.candidates import dominated
from webapp.optimizer.enumeration import top_lineups
from webapp.optimizer.scenarios import Simulator

RANK_SIMS = 32  # sims ranked at once: arrays of unique field lineups x RANK_SIMS
DEFAULT_OPTIMAL_SIMS = 500  # sims solved for their best lineup (about 10 ms each on NFL)
MAX_OPTIMAL_SIMS = 5000
OUTCOME_STREAM = 3  # random stream of the seed for outcomes (the optimizer uses 0 and 1)
TOP_SHARE = 0.01  # top1_pct: finishing within the best 1% of entries

Progress = Callable[[int], None]


@dataclass
class Tallies:
    """Running sums over the sims done so far: per entry of ours, for the portfolio, and how
    often each player is in a sim's best lineup."""

    entries: int
    players: int
    sims: int = 0
    payout: np.ndarray = field(init=False)
    payout_sq: np.ndarray = field(init=False)
    wins: np.ndarray = field(init=False)
    top: np.ndarray = field(init=False)
    cashes: np.ndarray = field(init=False)
    total: float = 0.0
    total_sq: float = 0.0
    profits: int = 0
    optimal: np.ndarray = field(init=False)
    optimal_sims: int = 0

    def __post_init__(self) -> None:
        for name in ("payout", "payout_sq"):
            setattr(self, name, np.zeros(self.entries))
        for name in ("wins", "top", "cashes"):
            setattr(self, name, np.zeros(self.entries, dtype=np.int64))
        self.optimal = np.zeros(self.players, dtype=np.int64)

    def to_state(self) -> dict[str, Any]:
        """The tallies as plain JSON data (a checkpoint)."""
        return {
            name: value.tolist() if isinstance(value, np.ndarray) else value
            for name, value in self.__dict__.items()
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Tallies:
        """Tallies saved by to_state."""
        tallies = cls(state["entries"], state["players"])
        for name, value in state.items():
            current = getattr(tallies, name)
            setattr(
                tallies,
                name,
                np.array(value, dtype=current.dtype) if isinstance(current, np.ndarray) else value,
            )
        return tallies


@dataclass(frozen=True)
class Contest:
    """What is simulated: the prizes, the fee, how many sims, which seed."""

    payouts: Payouts
    entry_fee: float
    n_sims: int
    seed: int
    optimal_sims: int = DEFAULT_OPTIMAL_SIMS


def simulate(
    slate: ContestSlate,
    ours: np.ndarray,
    the_field: Field,
    contest: Contest,
    tallies: Tallies,
    on_batch: Callable[[Tallies], None],
) -> Tallies:
    """Run the sims not yet in `tallies` (a fresh Tallies, or one restored from a checkpoint
    of the same request); `on_batch` sees the tallies after each batch."""
    simulator = Simulator(slate.players, slate.rules.outcomes)
    ranker = Ranker(the_field.lineups, the_field.counts, ours)
    best = _BestLineups(slate, min(contest.optimal_sims, contest.n_sims))
    top_cut = math.ceil(contest.payouts.field_size * TOP_SHARE)
    fees = contest.entry_fee * len(ours)
    done = 0
    for batch in simulator.batches(contest.n_sims, contest.seed, OUTCOME_STREAM):
        done += len(batch)
        if done <= tallies.sims:  # done before a restart: the stream is drawn again, not used
            continue
        batch = batch[len(batch) - (done - tallies.sims) :]
        for start in range(0, len(batch), RANK_SIMS):
            points = batch[start : start + RANK_SIMS]
            _, greater, tied = ranker.rank(points)
            paid = contest.payouts.split(greater, tied)
            _add(tallies, paid, greater, top_cut, fees)
            best.count(points, tallies)
        on_batch(tallies)
    return tallies


def _add(
    tallies: Tallies, paid: np.ndarray, greater: np.ndarray, top_cut: int, fees: float
) -> None:
    tallies.sims += len(paid)
    tallies.payout += paid.sum(axis=0)
    tallies.payout_sq += (paid**2).sum(axis=0)
    tallies.wins += (greater == 0).sum(axis=0)
    tallies.top += (greater < top_cut).sum(axis=0)
    tallies.cashes += (paid > 0).sum(axis=0)
    totals = paid.sum(axis=1)
    tallies.total += float(totals.sum())
    tallies.total_sq += float((totals**2).sum())
    tallies.profits += int((totals > fees).sum())


class _BestLineups:
    """The best lineup of the slate in each of the first `sims` sims, solved exactly (the
    optimizer's enumeration, one lineup, dominated players left out first)."""

    def __init__(self, slate: ContestSlate, sims: int) -> None:
        self.slate = slate.slate
        self.sims = sims
        self.bounds: BoundsModel | None = None

    def count(self, points: np.ndarray, tallies: Tallies) -> None:
        for row in points[: max(0, self.sims - tallies.optimal_sims)]:
            if self.bounds is None:
                self.bounds = BoundsModel(self.slate)
            values = self.slate.scaled(row)
            skip = frozenset(dominated(self.slate, values))
            found = top_lineups(self.slate, values, 1, skip, bounds_model=self.bounds)
            tallies.optimal_sims += 1
            if found:
                tallies.optimal[list(found[0])] += 1
