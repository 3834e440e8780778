"""Choosing lineups by contest ROI: each candidate's mean payout in simulated contests.

Used by the optimizer's `selection: "roi"`. The candidates it built are priced in `n_scenarios`
contests (the field modelled from ownership, or given; outcomes from the optimizer's
simulations of every player, on the contest's own stream of the seed): first each entered
alone, then each entered beside the portfolio chosen on those prices (the rest of that
portfolio joins the field). A portfolio's lineups compete with each other, and in a
top-heavy contest two similar lineups at the top share far less than either alone would
win: the second pricing charges a candidate for the places the portfolio already takes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from webapp.contest.field import Field, given_field, model_field, unique_field
from webapp.contest.payouts import Payouts
from webapp.contest.ranking import Ranker
from webapp.contest.run import FIELD_STREAM, knobs_of
from webapp.contest.simulate import OUTCOME_STREAM, RANK_SIMS
from webapp.contest.slate import ContestSlate
from webapp.optimizer.scenarios import Simulator


class ContestPricer:
    """Prices lineups in one contest: the field and the outcomes are fixed at construction."""

    def __init__(
        self,
        players: Sequence[Mapping[str, Any]],
        sport: str,
        contest: Mapping[str, Any],
        *,
        entered: int,
        n_sims: int,
        seed: int,
        correlation: Mapping[str, Mapping[str, float]] | None = None,
    ) -> None:
        """A contest whose field leaves room for `entered` entries of ours."""
        self.slate = ContestSlate(players, sport)
        given = contest.get("field_lineups")
        if given is not None:
            self.field = given_field(self.slate, given)
        else:
            rng = np.random.default_rng([seed, FIELD_STREAM])
            entries = contest["field_size"] - entered
            self.field = model_field(self.slate, entries, knobs_of(contest), rng)
        # Room for one more entry: a candidate priced beside a whole portfolio of ours.
        self.payouts = Payouts(contest["payouts"], contest["field_size"] + 1)
        self.simulator = Simulator(self.slate.players, self.slate.rules.outcomes, correlation)
        self.n_sims, self.seed = n_sims, seed

    def lineups(self, candidates: Sequence[Sequence[str]]) -> np.ndarray:
        """Player-id lineups as rows of sorted player indices."""
        index = self.slate.index
        return np.array([sorted(index[i] for i in ids) for ids in candidates], dtype=np.int64)

    def mean_payouts(self, candidates: np.ndarray, beside: np.ndarray | None = None) -> np.ndarray:
        """Mean payout of each candidate entered as our only entry, or beside the lineups of
        `beside` (a candidate among them is priced beside the others)."""
        the_field, members = self.field, np.zeros(len(candidates), dtype=bool)
        if beside is not None and len(beside):
            the_field = _with(self.field, beside)
            members = _rows_in(candidates, beside)
        ranker = Ranker(the_field.lineups, the_field.counts, candidates)
        total = np.zeros(len(candidates))
        for batch in self.simulator.batches(self.n_sims, self.seed, OUTCOME_STREAM):
            for start in range(0, len(batch), RANK_SIMS):
                greater, tied = ranker.alone(batch[start : start + RANK_SIMS])
                tied -= members  # its own copy among `beside` is not a rival
                total += self.payouts.split(greater, tied).sum(axis=0)
        return total / max(self.n_sims, 1)


def _with(the_field: Field, extra: np.ndarray) -> Field:
    """The field with one more entry of each row of `extra`."""
    rows = np.vstack([np.repeat(the_field.lineups, the_field.counts, axis=0), extra])
    return unique_field(np.sort(rows, axis=1), the_field.source)


def _rows_in(rows: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Whether each row of `rows` is one of `others` (both sorted player indices)."""
    known = {row.tobytes() for row in np.ascontiguousarray(others, dtype=np.int64)}
    wide = np.ascontiguousarray(rows, dtype=np.int64)
    return np.array([row.tobytes() in known for row in wide], dtype=np.int64)
