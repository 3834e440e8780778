"""Choosing lineups by contest ROI: each candidate's mean payout in simulated contests.

Used by the optimizer's `selection: "roi"`: the candidates it built are each entered alone in
`n_scenarios` contests (the field modelled from ownership, or given; outcomes from the
optimizer's simulations of every player, on the contest's own stream of the seed), and the
portfolio is then chosen on their mean payouts under the request's exposure and uniqueness
rules. Entering each candidate alone ignores that a portfolio's lineups also compete with
each other (they rarely meet at the top of a large field).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from webapp.contest.field import given_field, model_field
from webapp.contest.payouts import Payouts
from webapp.contest.ranking import Ranker
from webapp.contest.run import FIELD_STREAM, knobs_of
from webapp.contest.simulate import OUTCOME_STREAM, RANK_SIMS
from webapp.contest.slate import ContestSlate
from webapp.optimizer.simulation import Simulator


def candidate_payouts(
    players: Sequence[Mapping[str, Any]],
    sport: str,
    candidates: Sequence[Sequence[str]],
    contest: Mapping[str, Any],
    *,
    entered: int,
    n_sims: int,
    seed: int,
    correlation: Mapping[str, Mapping[str, float]] | None = None,
    on_sims: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Mean payout of each candidate (player ids) entered alone in `contest`, whose field
    leaves room for `entered` entries of ours, over `n_sims` sims."""
    slate = ContestSlate(players, sport)
    ours = np.array([sorted(slate.index[i] for i in ids) for ids in candidates], dtype=np.int64)
    given = contest.get("field_lineups")
    if given is not None:
        the_field = given_field(slate, given)
    else:
        rng = np.random.default_rng([seed, FIELD_STREAM])
        entries = contest["field_size"] - entered
        the_field = model_field(slate, entries, knobs_of(contest), rng)
    payouts = Payouts(contest["payouts"], contest["field_size"])
    ranker = Ranker(the_field.lineups, the_field.counts, ours)
    total = np.zeros(len(ours))
    done = 0
    for batch in Simulator(slate.players, sport, correlation).batches(n_sims, seed, OUTCOME_STREAM):
        for start in range(0, len(batch), RANK_SIMS):
            greater, tied = ranker.alone(batch[start : start + RANK_SIMS])
            total += payouts.split(greater, tied).sum(axis=0)
        done += len(batch)
        if on_sims is not None:
            on_sims(done)
    return total / max(n_sims, 1)
