"""Stacks in the depth-first search: one search per anchor (NFL: a QB; showdown: a captain;
a lineup holds one).

Each anchor's search holds the anchor and no other, leaves out the players whose LP bound
with the anchor fixed cannot reach the floor, and puts the locked players, the anchor and
(unless one partner of any kind will do) his partners first. The partners each anchor needs
are checked as the search goes; games and stacks are checked again on full lineups.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from webapp.optimizer.slate import Slate

AnchorBounds = Callable[[int], "np.ndarray | None"]


def anchor_members(
    slate: Slate,
    pool: list[int],
    anchors: set[int],
    anchor: int | None,
    anchor_bounds: AnchorBounds | None,
    floor: float,
) -> list[int]:
    """The players of one anchor's search (every pooled player without a stack): no other
    anchor, and none whose bound with this anchor is under the floor."""
    members = [i for i in pool if i == anchor or i not in anchors]
    bounds = anchor_bounds(anchor) if anchor is not None and anchor_bounds else None
    if bounds is None or floor == -math.inf:
        return members
    locks = set(slate.locks)
    return [i for i in members if i == anchor or i in locks or bounds[i] >= floor]


def first_groups(slate: Slate, pool: list[int], anchor: int | None) -> list[tuple[list[int], int]]:
    """The groups a search puts first: locked players (all taken); with a stack, the search
    is one anchor's (a lineup holds one): it takes him, at least `partners` of his partners
    and `bring_back` of his opponents, so the bound knows the stack is needed (for an
    anchor + 1 stack only the anchor: see below)."""
    locked = [i for i in pool if i in set(slate.locks)]
    base = [(locked, len(locked))] if locked else []
    if anchor is None:
        return base
    group = next(g for g in slate.stacks if g.anchor == anchor)
    inside = set(pool)
    taken = set(locked) | {anchor}
    partners = [i for i in group.partners if i in inside and i not in taken]
    opponents = [i for i in group.opponents if i in inside and i not in taken]
    need_p = max(0, slate.stack.partners - len(taken.intersection(group.partners)))
    need_o = max(0, slate.stack.bring_back - len(taken.intersection(group.opponents)))
    extra = [([anchor], 1)] if anchor not in locked else []
    if slate.stack.partners == 1 and slate.stack.bring_back == 0:
        # One partner of any kind: the plain groups' bound (tight on slots) with the stack
        # checked as the search goes is faster than partners first (measured).
        return base + extra
    return base + extra + [(partners, need_p), (opponents, need_o)]


def stack_demands(slate: Slate, rank: dict[int, int]) -> dict[int, list]:
    """anchor -> [(partners, their search ranks sorted, how many are needed)]."""
    demands: dict[int, list] = {}
    for group in slate.stacks:
        if group.anchor not in rank:
            continue
        for partners, wanted in (
            (group.partners, slate.stack.partners),
            (group.opponents, slate.stack.bring_back),
        ):
            if wanted > 0:
                inside = [i for i in partners if i in rank]
                entry = (frozenset(inside), sorted(rank[i] for i in inside), wanted)
                demands.setdefault(group.anchor, []).append(entry)
    return demands
