"""The n best lineups in one pass, when they only need to differ by one player.

CP-SAT enumerates every lineup worth at least a floor F on the pool of players whose LP
bound (bounds.py) reaches F; lineups with a left-out player are worth less than F, so that
set is exactly every lineup of the slate worth at least F. If it holds at least n lineups,
its n best are the n best lineups of the slate. Otherwise F is lowered (the gap to the LP
value doubles) and the pass runs again; if a pass finds far more lineups than needed it is
cut short and F is raised to the n-th best value seen. When more lineups tie at F than a
pass lists (a slate of equal projections), the next pass lists those worth more than F and
the tied lineups the cut pass met make up the rest; a pass whose floor is over the bound on
the best lineup is not run. Ties are broken by player indices (at a cut floor, by search
order), so equal requests give equal lineups. Slates with rules the enumeration would only
check on full lineups (team stacks), and passes that meet too many lineups breaking the games
or teams rules (enumerator.MAX_REJECTED), are searched lineup by lineup by CP-SAT instead
(search.py).
"""

from __future__ import annotations

import math

import numpy as np

from webapp.optimizer.bounds import Bounds, BoundsModel
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


class _Passes:
    """What every pass of one top_lineups call shares: the LP bounds, the bound `top` on the
    best lineup, the anchors' bounds (solved once each)."""

    def __init__(
        self,
        slate: Slate,
        values: np.ndarray,
        forbidden: frozenset[int],
        budget: TimeBudget,
        bounds_model: BoundsModel,
        bounds: Bounds,
    ) -> None:
        self.slate, self.values, self.forbidden, self.budget = slate, values, forbidden, budget
        self.bounds_model, self.bounds = bounds_model, bounds
        self.with_anchor: dict[int, np.ndarray | None] = {}

    def top(self) -> float | None:
        """The LP value, or the best lineup's where the LP gave no bound (None: no lineup)."""
        if self.bounds.from_lp:
            return self.bounds.lp_value
        allowed = [i for i in range(len(self.slate)) if i not in self.forbidden]
        best = PoolModel(self.slate, allowed, self.values).solve(budget=self.budget)
        return None if best is None else float(best[1])

    def anchor_bounds(self, anchor: int) -> np.ndarray | None:
        if anchor not in self.with_anchor:
            self.with_anchor[anchor] = self.bounds_model.with_player(self.values, anchor)
        return self.with_anchor[anchor]

    def run(self, floor: float, limit: int) -> tuple[list[list[int]], bool]:
        """One pass: the lineups worth at least `floor` (at most `limit`), and whether all."""
        keep = self.bounds.player_bounds >= floor
        keep[list(self.slate.locks)] = True
        pool = [i for i in np.flatnonzero(keep).tolist() if i not in self.forbidden]
        return enumerate_pool(
            self.slate, pool, self.values, floor, limit, self.anchor_bounds, self.budget
        )


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
    passes = _Passes(slate, values, forbidden, budget, bounds_model, bounds)
    top = passes.top()
    if top is None:
        return []
    try:
        return _passes(passes, top, n_lineups)
    except RulesBindError:  # lineups breaking the games or teams rule swamp the search
        return _searched(slate, values, n_lineups, forbidden, budget, bounds_model)


def _passes(passes: _Passes, top: float, n_lineups: int) -> list[list[int]]:
    """Passes with a falling or rising floor until one holds the n best lineups."""
    slate, values = passes.slate, passes.values
    lowest = float(np.sort(values)[: slate.rules.size].sum())
    # FIRST_GAP_SHARE is about what the 150 best lineups span; fewer span less (measured:
    # a first pass far too wide is cut short at `limit` lineups and wasted).
    share = FIRST_GAP_SHARE * min(1.0, math.sqrt(n_lineups / FULL_SPAN_LINEUPS))
    gap = max(share * abs(top), MIN_GAP_POINTS * SCALE)
    floor = top - gap
    limit = ENUMERATION_SLACK * n_lineups + 64
    tied: list[list[int]] = []  # a pass cut short with its n-th best lineup at its floor
    while True:
        passes.budget.check()
        if floor <= lowest:
            floor = -math.inf  # the floor no longer excludes any lineup
        # Lineup values are integers, none above `top`: a floor over it needs no pass.
        found, complete = ([], True) if floor > top + 0.5 else passes.run(floor, limit)
        if complete and tied and len(found) < n_lineups:
            # Every lineup above the tied floor, then lineups worth exactly that floor.
            return [list(key) for _, key in _ranked(found + tied, values)[:n_lineups]]
        ranked = _ranked(found, values)
        if complete and (len(ranked) >= n_lineups or floor == -math.inf):
            return [list(key) for _, key in ranked[:n_lineups]]
        if complete:
            gap *= GAP_GROWTH
            floor = top - gap
            continue
        # Cut short: at least n lineups are worth the n-th best value seen.
        nth = -ranked[n_lineups - 1][0]
        if nth <= max(floor, lowest):  # more tie at the floor than a pass lists: go above it
            tied, floor = found, nth + 1
        else:
            floor = nth


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
