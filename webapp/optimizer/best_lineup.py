"""The one best lineup of a pool: the depth-first search (enumerator.py) as a branch and bound.

The floor rises to each lineup found. The lineup must also keep clear of earlier lineups (at
most so many players shared, checked as each player is put in) and hold low..high players of
each team row.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from webapp.optimizer.anchors import AnchorBounds, anchor_members, first_groups
from webapp.optimizer.budget import NO_BUDGET, TimeBudget
from webapp.optimizer.enumerator import Enumerator
from webapp.optimizer.slate import Slate


def best_lineup(
    slate: Slate,
    pool: list[int],
    values: np.ndarray,
    floor: float,
    cuts: Sequence[tuple[Sequence[int], int]] = (),
    rows: Sequence[tuple[Sequence[int], int, int]] = (),
    anchor_bounds: AnchorBounds | None = None,
    budget: TimeBudget = NO_BUDGET,
) -> tuple[list[int], int] | None:
    """The best lineup of `pool` worth at least `floor` that shares at most `max_shared`
    players with each cut's lineup and holds low..high of each row's members, with its
    value; None when there is none. Branch and bound: the floor rises to each lineup found,
    so the first best lineup in search order is kept (deterministic among ties). BudgetSpent
    is raised from inside the search once `budget` is used up."""
    anchors = {group.anchor for group in slate.stacks}
    inside = set(pool)
    searches = [a for a in (g.anchor for g in slate.stacks) if a in inside] if anchors else [None]
    best: list[int] | None = None
    floor = -math.inf if floor == -math.inf else math.ceil(floor)
    team_rows = [(frozenset(members), low, high) for members, low, high in rows]
    # A row's maximum is a cut: at most `high` of its members, checked as the search goes.
    cuts = [*cuts, *((members, high) for members, _, high in rows if high < len(members))]
    for anchor in searches:
        members = anchor_members(slate, pool, anchors, anchor, anchor_bounds, floor)
        if not members:
            continue
        search = Enumerator(slate, members, values, 1, first_groups(slate, members, anchor))
        search.best_only = True
        search.time_budget = budget
        search.team_rows = team_rows
        search.add_cuts(cuts)
        search.floor = floor
        search.visit(0, 0, 0, slate.rules.size, search.cap, 0)
        if search.found:
            best = search.found[0]
            floor = search.floor  # a later anchor's lineup must beat this one
    if best is None:
        return None
    return sorted(best), int(values[best].sum())
