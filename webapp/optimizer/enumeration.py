"""The n best lineups in one pass, when they only need to differ by one player.

CP-SAT enumerates every lineup worth at least a floor F on the pool of players whose LP
bound (bounds.py) reaches F; lineups with a left-out player are worth less than F, so that
set is exactly every lineup of the slate worth at least F. If it holds at least n lineups,
its n best are the n best lineups of the slate. Otherwise F is lowered (the gap to the LP
value doubles) and the pass runs again; if a pass finds far more lineups than needed it is
cut short and F is raised to the n-th best value seen. Ties are broken by player indices, so
equal requests give equal lineups. Slates with rules the enumeration would only check on full
lineups (team stacks), and passes that meet too many lineups breaking the games or teams rules
(enumerator.MAX_REJECTED), are searched lineup by lineup by CP-SAT instead (search.py).
"""

from __future__ import annotations

import math

import numpy as np

from webapp.optimizer.bounds import BoundsModel
from webapp.optimizer.budget import NO_BUDGET, TimeBudget
from webapp.optimizer.enumerator import RulesBindError, enumerate_pool
from webapp.optimizer.model import PoolModel
from webapp.optimizer.search import FIRST_GAP_SHARE, GAP_GROWTH, LineupSearch, best_lineups
from webapp.optimizer.slate import SCALE, Slate

# A pass stops after this many lineups per one wanted: the floor was too low.
ENUMERATION_SLACK = 8
FULL_SPAN_LINEUPS = 150
MIN_GAP_POINTS = 0.2  # smallest first gap below the LP value, in fantasy points


def _ranked(lineups: list[list[int]], values: np.ndarray) -> list[tuple[int, tuple[int, ...]]]:
    found = {tuple(sorted(lineup)) for lineup in lineups}
    return sorted((-int(values[list(key)].sum()), key) for key in found)


def top_lineups(
    slate: Slate,
    values: np.ndarray,
    n_lineups: int,
    forbidden: frozenset[int] = frozenset(),
    budget: TimeBudget = NO_BUDGET,
    bounds_model: BoundsModel | None = None,
) -> list[list[int]]:
    """The n best lineups by `values` (fewer when fewer exist), best first. Raises
    BudgetSpent when the time budget runs out (read as each pass searches)."""
    bounds_model = bounds_model or BoundsModel(slate)
    if slate.needs_cp_sat:
        return _searched(slate, values, n_lineups, forbidden, budget, bounds_model)
    bounds = bounds_model.solve(values)
    if bounds is None:
        return []
    with_anchor: dict[int, np.ndarray | None] = {}

    def anchor_bounds(anchor: int) -> np.ndarray | None:
        # The same for every pass: solved once per anchor.
        if anchor not in with_anchor:
            with_anchor[anchor] = bounds_model.with_player(values, anchor)
        return with_anchor[anchor]

    top = bounds.lp_value
    if not bounds.from_lp:  # start from the best lineup instead of a useless bound
        allowed = [i for i in range(len(slate)) if i not in forbidden]
        best = PoolModel(slate, allowed, values).solve(budget=budget)
        if best is None:
            return []
        top = float(best[1])
    lowest = float(np.sort(values)[: slate.rules.size].sum())
    # FIRST_GAP_SHARE is about what the 150 best lineups span; fewer span less (measured:
    # a first pass far too wide is cut short at `limit` lineups and wasted).
    share = FIRST_GAP_SHARE * min(1.0, math.sqrt(n_lineups / FULL_SPAN_LINEUPS))
    gap = max(share * abs(top), MIN_GAP_POINTS * SCALE)
    floor = top - gap
    limit = ENUMERATION_SLACK * n_lineups + 64
    while True:
        budget.check()
        if floor <= lowest:
            floor = -math.inf  # the floor no longer excludes any lineup
        keep = bounds.player_bounds >= floor
        keep[list(slate.locks)] = True
        pool = [i for i in np.flatnonzero(keep).tolist() if i not in forbidden]
        try:
            found, complete = enumerate_pool(
                slate, pool, values, floor, limit, anchor_bounds, budget
            )
        except RulesBindError:  # lineups breaking the games or teams rule swamp the search
            return _searched(slate, values, n_lineups, forbidden, budget, bounds_model)
        ranked = _ranked(found, values)
        if complete and (len(ranked) >= n_lineups or floor == -math.inf):
            return [list(key) for _, key in ranked[:n_lineups]]
        if complete:
            gap *= GAP_GROWTH
            floor = top - gap
        else:  # cut short: at least n lineups are worth the n-th best value seen
            floor = max(-ranked[n_lineups - 1][0], floor + 1)


def _searched(
    slate: Slate,
    values: np.ndarray,
    n_lineups: int,
    forbidden: frozenset[int],
    budget: TimeBudget,
    bounds_model: BoundsModel,
) -> list[list[int]]:
    """The n best lineups found in turn (each the best not found yet), best first."""
    if bounds_model.solve(values) is None:
        return []
    limits = np.full(len(slate), n_lineups, dtype=np.int64)
    limits[list(forbidden)] = 0
    search = LineupSearch(slate, values, bounds_model, budget=budget)
    lineups = best_lineups(search, n_lineups, 1, limits)
    if len(lineups) < n_lineups:
        budget.check()  # as the enumeration does: running out of time is never "fewer exist"
    return [sorted(lineup) for lineup in lineups]
