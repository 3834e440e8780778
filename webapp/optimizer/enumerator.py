"""Every lineup of a pool worth at least a floor: depth-first search with a knapsack bound.

The pool is grouped by slots (knapsacks.py); each player is put in or left out, groups
with the fewest slots first. A branch is cut when its value plus the most the rest can add
(the groups' knapsack bounds) is under the floor. Players that would break Hall's condition
are not put in; rows allowing at most k of some players (a showdown player's two rows, a
team's hitters, players against their own pitcher) are kept as players are put in, like the
cuts against earlier lineups. Games, teams, stacks and locks are checked on full lineups. The
search is exact: it finds every lineup of the pool worth at least the floor (until `limit`).

With a stack there is one search per anchor (QB), and the LP bounds with that anchor fixed
leave out the players who cannot reach the floor beside him (anchors.py). The same search
finds the one best lineup by branch and bound (best_lineup.py).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from functools import reduce

import numpy as np

from webapp.optimizer.anchors import (
    AnchorBounds,
    anchor_members,
    first_groups,
    stack_demands,
)
from webapp.optimizer.budget import NO_BUDGET, TimeBudget
from webapp.optimizer.knapsacks import NEG, Group, hall_rows, knapsacks, later_tables, pool_groups
from webapp.optimizer.slate import Slate

BUDGET_CHECK_EVERY = 1024  # nodes between readings of the clock
# Full lineups over the floor that break a rule checked only on full lineups (games, teams,
# stacks) which one search may meet before it gives the pool up to CP-SAT, which states those
# rules in its model: where two teams outscore the rest (an NHL slate, a simulated scenario) a
# search whose bounds ignore "3 teams" meets millions of two-team lineups. A count, not a
# clock, so the same request always takes the same path.
MAX_REJECTED = 20_000
# Largest size of one search's knapsack tables (its salary step grows to stay within it).
MAX_TABLE_BYTES = 16 * 2**20


def salary_unit(slate: Slate, pool: list[int], groups: list[Group]) -> int:
    """The salary step of the knapsack tables: the salaries' greatest common divisor, or a
    coarser multiple of it where that would make the tables larger than MAX_TABLE_BYTES
    (salaries to the dollar make 50,000 columns: gigabytes on a large pool)."""
    exact = max(
        reduce(math.gcd, [int(slate.salaries[i]) for i in pool] + [slate.rules.salary_cap]), 1
    )
    size = slate.rules.size
    inside = sum((len(g.members) + 1) * (g.high + 1) for g in groups)
    later = (len(groups) + max((g.high + 1 for g in groups), default=1)) * (size + 1)
    columns = max(MAX_TABLE_BYTES // (8 * (inside + later)), 1)
    steps = -(-(slate.rules.salary_cap // exact + 1) // columns)  # ceiling division
    return exact * max(steps, 1)


class RulesBindError(Exception):
    """The search met MAX_REJECTED lineups that break the rules it checks at the end."""


class Enumerator:
    """One enumeration: the tables of bounds, the lineup being built, the lineups found."""

    def __init__(
        self,
        slate: Slate,
        pool: list[int],
        values: np.ndarray,
        limit: int,
        first: list[tuple[list[int], int]],
    ) -> None:
        size = slate.rules.size
        self.slate, self.limit = slate, limit
        self.groups = pool_groups(slate, pool, values, first)
        self.cap = slate.rules.salary_cap
        self.salary_of = {i: int(slate.salaries[i]) for i in pool}
        self.unit = salary_unit(slate, pool, self.groups)
        self.budget = self.cap // self.unit
        # Costs rounded down to the unit: a lineup within the cap stays within the budget, so
        # the tables bound from above; the search itself keeps salaries to the dollar.
        self.cost_of = {i: salary // self.unit for i, salary in self.salary_of.items()}
        self.value_of = {i: int(values[i]) for i in pool}
        self.inside = [
            knapsacks(
                [self.value_of[i] for i in g.members],
                [self.cost_of[i] for i in g.members],
                g.high,
                self.budget,
            )
            for g in self.groups
        ]
        self.later = later_tables(self.groups, self.value_of, self.cost_of, size, self.budget)
        self.rows, self.opens = hall_rows(slate, pool)
        self.counts = [0] * len(self.opens)
        self.locked = set(slate.locks)
        self.floor: float = -math.inf
        self.found: list[list[int]] = []
        self.chosen: list[int] = []
        self.rank = {i: r for r, i in enumerate(i for g in self.groups for i in g.members)}
        self.demands = stack_demands(slate, self.rank)
        self.active: list[tuple[frozenset[int], list[int], int]] = []
        self.bounds: dict[tuple[int, int, int, int, int], int] = {}
        # The run's time budget, read every BUDGET_CHECK_EVERY nodes.
        self.time_budget = NO_BUDGET
        # Best-lineup mode (best_lineup): cuts against earlier lineups, rows, rising floor.
        self.best_only = False
        self.visits = 0
        self.cut_of: dict[int, list[int]] = {}  # player -> cuts whose lineup holds him
        self.shared: list[int] = []  # players of the lineup being built in each cut's lineup
        self.max_shared: list[int] = []
        self.cut_members: list[list[int]] = []  # each cut's lineup, pooled players only
        self.blocked = dict.fromkeys(self.cost_of, 0)  # full cuts holding the player
        self.team_rows: list[tuple[frozenset[int], int, int]] = []
        self.rejected = 0  # full lineups over the floor that broke a rule
        # The game type's "at most k of these" rows are cuts like those against earlier lineups.
        self.add_cuts(slate.limits)

    def add_cuts(self, cuts: Sequence[tuple[Sequence[int], int]]) -> None:
        """No lineup found shares more than `max_shared` players with a cut's lineup."""
        for number, (lineup, max_shared) in enumerate(cuts):
            members = [i for i in lineup if i in self.cost_of]
            for i in members:
                self.cut_of.setdefault(i, []).append(number)
            self.shared.append(0)
            self.max_shared.append(max_shared)
            self.cut_members.append(members)
            if max_shared <= 0:
                for i in members:
                    self.blocked[i] += 1

    def bound(self, g: int, j: int, taken: int, need: int, salary_left: int) -> int:
        """The most that `need` more players can add within `salary_left` dollars: group g's
        from j on, then later groups (remembered: the same state recurs in many branches)."""
        left = salary_left // self.unit
        key = (g, j, taken, need, left)
        known = self.bounds.get(key)
        if known is None:
            known = self.bounds[key] = self._bound(g, j, taken, need, left)
        return known

    def _bound(self, g: int, j: int, taken: int, need: int, left: int) -> int:
        group = self.groups[g]
        low = max(0, group.low - taken)
        high = min(group.high - taken, need)
        if low > high:
            return NEG
        mine = self.inside[g][j][low : high + 1, : left + 1]
        theirs = self.later[g][need - high : need - low + 1][::-1, left::-1]
        return int((mine + theirs).max())

    def fits(self, i: int, taken: int, group: Group, salary_left: int) -> bool:
        return (
            self.salary_of[i] <= salary_left
            and taken < group.high
            and all(self.counts[r] < self.opens[r] for r in self.rows[i])
            and not self.blocked[i]
        )

    def stackable(self, rank: int, need: int) -> bool:
        """Whether the stacks of the anchors chosen so far can still be completed by players
        from `rank` on (in search order) within `need` more players."""
        for members, ranks, wanted in self.active:
            have = sum(1 for i in self.chosen if i in members)
            short = wanted - have
            if short > 0 and (short > need or len(ranks) - bisect_left(ranks, rank) < short):
                return False
        return True

    def leaf(self, value: int) -> bool:
        """Keep the lineup if it is legal and reaches the floor; True to stop the search."""
        lineup = list(self.chosen)
        # The bound only says a branch *may* reach the floor; the full lineup must.
        legal = value >= self.floor and self.locked <= set(lineup)
        if legal and not self.slate.legal(lineup):
            legal = False
            self.rejected += 1
            if self.rejected > MAX_REJECTED:
                raise RulesBindError
        if self.best_only:  # never stops: a better lineup may follow
            if legal and all(
                low <= len(m.intersection(lineup)) <= high for m, low, high in self.team_rows
            ):
                self.found = [lineup]
                self.floor = value + 1  # only a better lineup replaces it
            return False
        if legal:
            self.found.append(lineup)
        return len(self.found) >= self.limit

    def _put(self, i: int) -> None:
        for r in self.rows[i]:
            self.counts[r] += 1
        for c in self.cut_of.get(i, ()):
            self.shared[c] += 1
            if self.shared[c] == self.max_shared[c]:  # the cut is full: its others are out
                for k in self.cut_members[c]:
                    self.blocked[k] += 1
        self.chosen.append(i)

    def _take_back(self, i: int) -> None:
        self.chosen.pop()
        for r in self.rows[i]:
            self.counts[r] -= 1
        for c in self.cut_of.get(i, ()):
            if self.shared[c] == self.max_shared[c]:
                for k in self.cut_members[c]:
                    self.blocked[k] -= 1
            self.shared[c] -= 1

    def visit(self, g: int, start: int, taken: int, need: int, left: int, value: int) -> bool:
        """Extend the lineup with players of group g from `start` on, then later groups;
        True once `limit` lineups are found. Loops rather than recursing on "leave out", so
        the depth stays one per player put in (plus one per group) whatever the pool's size."""
        self.visits += 1
        if self.visits % BUDGET_CHECK_EVERY == 0:
            self.time_budget.check()  # BudgetSpent ends the search; the caller keeps its lineups
        if need == 0:
            return self.leaf(value)
        if g == len(self.groups):
            return False
        group = self.groups[g]
        for j in range(start, len(group.members)):
            if value + self.bound(g, j, taken, need, left) < self.floor:
                return False  # later players of the group only bound lower
            i = group.members[j]
            if self.active and not self.stackable(self.rank[i], need):
                return False  # fewer stack partners are left further on
            if self.fits(i, taken, group, left):
                self._put(i)
                demands = self.demands.get(i, [])
                self.active.extend(demands)
                cost, worth = self.salary_of[i], self.value_of[i]
                stop = self.visit(g, j + 1, taken + 1, need - 1, left - cost, value + worth)
                del self.active[len(self.active) - len(demands) :]
                self._take_back(i)
                if stop:
                    return True
            if i in self.locked:
                return False  # every later lineup of this branch would leave him out
        return taken >= group.low and self.visit(g + 1, 0, 0, need, left, value)


def enumerate_pool(
    slate: Slate,
    pool: list[int],
    values: np.ndarray,
    floor: float,
    limit: int,
    anchor_bounds: AnchorBounds | None = None,
    budget: TimeBudget = NO_BUDGET,
) -> tuple[list[list[int]], bool]:
    """Lineups of `pool` worth at least `floor` (at most `limit`), and whether that is all.

    With a stack there is one search per anchor in the pool. `anchor_bounds(anchor)`, when
    given, bounds each player's best lineup *with that anchor* (None: no bound); players
    whose bound is under the floor are left out of that anchor's search, which is exact
    since every lineup of the search holds the anchor."""
    anchors = {group.anchor for group in slate.stacks}
    found: list[list[int]] = []
    inside = set(pool)
    searches = [a for a in (g.anchor for g in slate.stacks) if a in inside] if anchors else [None]
    for anchor in searches:
        members = anchor_members(slate, pool, anchors, anchor, anchor_bounds, floor)
        if not members:
            continue
        first = first_groups(slate, members, anchor)
        search = Enumerator(slate, members, values, limit - len(found), first)
        search.time_budget = budget
        search.floor = -math.inf if floor == -math.inf else math.ceil(floor)
        stopped = search.visit(0, 0, 0, slate.rules.size, search.cap, 0)
        found += search.found
        if stopped:
            return found, False
    return found, True
