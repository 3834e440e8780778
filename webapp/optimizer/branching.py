"""Every lineup of a pool worth at least a floor: depth-first search with a knapsack bound.

Players are grouped by the slots they may fill (QB, DST, TE, RB, WR in NFL; PG, PG/SG, ...
in NBA), groups with the fewest slots first, best values first within a group; each player
is put in or left out. A group holds between `low` and `high` players of any lineup (from
the slots: Hall's condition). A branch is cut when its value plus the most the rest can
add is under the floor; the rest is the group's later players (a cardinality knapsack
within the group) plus every later group (knapsacks within their bounds, combined by
a knapsack that counts each group's players), all within the salary left. Players that would break
Hall's condition are not put in. Games, stacks and locks are checked on full lineups. The
search is exact: it finds every lineup of the pool worth at least the floor (until `limit`).

With a stack there is one search per anchor (QB), and the LP bounds with that anchor fixed
leave out the players who cannot reach the floor beside him. `best_lineup` runs the same
search as a branch and bound (the floor rises to each lineup found) for the one best lineup
that also keeps clear of earlier lineups (at most so many players shared, checked as each
player is put in) and within team rows.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Callable, Sequence
from functools import reduce

import numpy as np

from webapp.optimizer.slate import Slate

NEG = -(2**50)


def _knapsacks(values: list[int], costs: list[int], most: int, budget: int) -> list[np.ndarray]:
    """tables[j][c, s]: the best value of c players among j.. with salary units <= s."""
    table = np.full((most + 1, budget + 1), NEG, dtype=np.int64)
    table[0, :] = 0
    tables = [table]
    for value, cost in zip(reversed(values), reversed(costs), strict=True):
        table = table.copy()
        if cost <= budget and most > 0:
            take = tables[-1][:-1, : budget + 1 - cost] + value
            np.maximum(table[1:, cost:], take, out=table[1:, cost:])
        tables.append(table)
    return tables[::-1]


class _Group:
    def __init__(self, members: list[int], low: int, high: int) -> None:
        self.members = members
        self.low = low
        self.high = high


def _groups(
    slate: Slate, pool: list[int], values: np.ndarray, first: list[tuple[list[int], int]]
) -> list[_Group]:
    """`first` groups ((members, how many at least) each) in that order, then one group per
    set of eligible slots for the other pooled players."""
    size = slate.rules.size
    placed = {i for members, _ in first for i in members}
    by_slots: dict[frozenset[int], list[int]] = {}
    for i in pool:
        if i not in placed:
            by_slots.setdefault(slate.eligible[i], []).append(i)
    slots_of = [frozenset().union(*(slate.eligible[i] for i in m)) for m, _ in first]
    slots_of += sorted(by_slots, key=lambda k: (len(k), sorted(k)))
    members_of = [m for m, _ in first] + [by_slots[k] for k in slots_of[len(first) :]]
    groups = []
    for g, (key, members) in enumerate(zip(slots_of, members_of, strict=True)):
        others = frozenset().union(*(k for h, k in enumerate(slots_of) if h != g))
        low = max(0, size - len(others), first[g][1] if g < len(first) else 0)
        high = min(len(key), size, len(members))
        groups.append(_Group(sorted(members, key=lambda i: (-values[i], i)), low, high))
    return groups


def _add_group(rest: np.ndarray, values: list[int], costs: list[int], low: int, high: int):
    """What a group (taking low..high of its players) and then `rest` can add together:
    a knapsack over the group's players that also counts how many of them are taken."""
    size, budget = rest.shape[0] - 1, rest.shape[1] - 1
    if low > high:  # the group cannot supply what it must: nothing is possible
        return np.full_like(rest, NEG)
    table = np.full((size + 1, high + 1, budget + 1), NEG, dtype=np.int64)
    table[:, 0, :] = rest
    for value, cost in zip(values, costs, strict=True):
        if cost > budget or high == 0:
            continue
        take = table[:-1, :-1, : budget + 1 - cost] + value
        np.maximum(table[1:, 1:, cost:], take, out=table[1:, 1:, cost:])
    return table[:, low:, :].max(axis=1)


def _later_tables(groups: list[_Group], value_of, cost_of, size: int, budget: int) -> list:
    """later[g][c, s]: the most that c players of the groups after g (each group within its
    bounds) can add with salary units <= s."""
    later = [np.empty(0)] * len(groups)
    rest = np.full((size + 1, budget + 1), NEG, dtype=np.int64)
    rest[0, :] = 0
    for g in range(len(groups) - 1, -1, -1):
        later[g] = rest
        group = groups[g]
        values = [value_of[i] for i in group.members]
        costs = [cost_of[i] for i in group.members]
        rest = _add_group(rest, values, costs, group.low, group.high)
    return later


def _hall_rows(slate: Slate, pool: list[int]) -> tuple[dict[int, list[int]], list[int]]:
    """For each pooled player the Hall rows he counts in, and each row's open slots."""
    rows: dict[int, list[int]] = {i: [] for i in pool}
    opens: list[int] = []
    for members, open_slots in slate.hall:
        inner = [i for i in members if i in rows]
        if len(inner) > open_slots:
            for i in inner:
                rows[i].append(len(opens))
            opens.append(open_slots)
    return rows, opens


class _Enumerator:
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
        unit = reduce(math.gcd, [int(slate.salaries[i]) for i in pool] + [slate.rules.salary_cap])
        self.unit = max(unit, 1)
        self.budget = slate.rules.salary_cap // self.unit
        self.slate, self.limit = slate, limit
        self.groups = _groups(slate, pool, values, first)
        self.cost_of = {i: int(slate.salaries[i]) // self.unit for i in pool}
        self.value_of = {i: int(values[i]) for i in pool}
        self.inside = [
            _knapsacks(
                [self.value_of[i] for i in g.members],
                [self.cost_of[i] for i in g.members],
                g.high,
                self.budget,
            )
            for g in self.groups
        ]
        self.later = _later_tables(self.groups, self.value_of, self.cost_of, size, self.budget)
        self.rows, self.opens = _hall_rows(slate, pool)
        self.counts = [0] * len(self.opens)
        self.locked = set(slate.locks)
        self.floor: float = -math.inf
        self.found: list[list[int]] = []
        self.chosen: list[int] = []
        self.rank = {i: r for r, i in enumerate(i for g in self.groups for i in g.members)}
        self.demands = _stack_demands(slate, self.rank)
        self.active: list[tuple[frozenset[int], list[int], int]] = []
        self.bounds: dict[tuple[int, int, int, int, int], int] = {}
        # Best-lineup mode (best_lineup): cuts against earlier lineups, rows, rising floor.
        self.best_only = False
        self.cut_of: dict[int, list[int]] = {}  # player -> cuts whose lineup holds him
        self.shared: list[int] = []  # players of the lineup being built in each cut's lineup
        self.max_shared: list[int] = []
        self.cut_members: list[list[int]] = []  # each cut's lineup, pooled players only
        self.blocked = dict.fromkeys(self.cost_of, 0)  # full cuts holding the player
        self.team_rows: list[tuple[frozenset[int], int, int]] = []

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

    def bound(self, g: int, j: int, taken: int, need: int, left: int) -> int:
        """The most that `need` more players can add: group g's from j on, then later groups
        (remembered: the same state recurs in many branches)."""
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

    def fits(self, i: int, taken: int, group: _Group, left: int) -> bool:
        return (
            self.cost_of[i] <= left
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
        legal = value >= self.floor and self.locked <= set(lineup) and _legal(self.slate, lineup)
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
                cost, worth = self.cost_of[i], self.value_of[i]
                stop = self.visit(g, j + 1, taken + 1, need - 1, left - cost, value + worth)
                del self.active[len(self.active) - len(demands) :]
                self._take_back(i)
                if stop:
                    return True
            if i in self.locked:
                return False  # every later lineup of this branch would leave him out
        return taken >= group.low and self.visit(g + 1, 0, 0, need, left, value)


def _first_groups(slate: Slate, pool: list[int], anchor: int | None) -> list[tuple[list[int], int]]:
    """The groups a search puts first: locked players (all taken); with a stack, the search
    is one anchor's (NFL: a QB's; a lineup holds one): it takes him, at least `qb_with` of
    his catchers and `bring_back` of his opponents, so the bound knows the stack is needed
    (for a QB + 1 stack only the anchor: see below)."""
    locked = [i for i in pool if i in set(slate.locks)]
    base = [(locked, len(locked))] if locked else []
    if anchor is None:
        return base
    group = next(g for g in slate.stacks if g.anchor == anchor)
    inside = set(pool)
    taken = set(locked) | {anchor}
    catchers = [i for i in group.catchers if i in inside and i not in taken]
    opponents = [i for i in group.opponents if i in inside and i not in taken]
    need_c = max(0, slate.stack.qb_with - len(taken.intersection(group.catchers)))
    need_o = max(0, slate.stack.bring_back - len(taken.intersection(group.opponents)))
    extra = [([anchor], 1)] if anchor not in locked else []
    if slate.stack.qb_with == 1 and slate.stack.bring_back == 0:
        # One partner of any kind: the plain groups' bound (tight on slots) with the stack
        # checked as the search goes is faster than partners first (measured).
        return base + extra
    return base + extra + [(catchers, need_c), (opponents, need_o)]


AnchorBounds = Callable[[int], "np.ndarray | None"]


def _members(
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


def enumerate_pool(
    slate: Slate,
    pool: list[int],
    values: np.ndarray,
    floor: float,
    limit: int,
    anchor_bounds: AnchorBounds | None = None,
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
        members = _members(slate, pool, anchors, anchor, anchor_bounds, floor)
        if not members:
            continue
        first = _first_groups(slate, members, anchor)
        search = _Enumerator(slate, members, values, limit - len(found), first)
        search.floor = -math.inf if floor == -math.inf else math.ceil(floor)
        stopped = search.visit(0, 0, 0, slate.rules.size, search.budget, 0)
        found += search.found
        if stopped:
            return found, False
    return found, True


def best_lineup(
    slate: Slate,
    pool: list[int],
    values: np.ndarray,
    floor: float,
    cuts: Sequence[tuple[Sequence[int], int]] = (),
    rows: Sequence[tuple[Sequence[int], int, int]] = (),
    anchor_bounds: AnchorBounds | None = None,
) -> tuple[list[int], int] | None:
    """The best lineup of `pool` worth at least `floor` that shares at most `max_shared`
    players with each cut's lineup and holds low..high of each row's members, with its
    value; None when there is none. Branch and bound: the floor rises to each lineup found,
    so the first best lineup in search order is kept (deterministic among ties)."""
    anchors = {group.anchor for group in slate.stacks}
    inside = set(pool)
    searches = [a for a in (g.anchor for g in slate.stacks) if a in inside] if anchors else [None]
    best: list[int] | None = None
    floor = -math.inf if floor == -math.inf else math.ceil(floor)
    team_rows = [(frozenset(members), low, high) for members, low, high in rows]
    # A row's maximum is a cut: at most `high` of its members, checked as the search goes.
    cuts = [*cuts, *((members, high) for members, _, high in rows if high < len(members))]
    for anchor in searches:
        members = _members(slate, pool, anchors, anchor, anchor_bounds, floor)
        if not members:
            continue
        search = _Enumerator(slate, members, values, 1, _first_groups(slate, members, anchor))
        search.best_only = True
        search.team_rows = team_rows
        search.add_cuts(cuts)
        search.floor = floor
        search.visit(0, 0, 0, slate.rules.size, search.budget, 0)
        if search.found:
            best = search.found[0]
            floor = search.floor  # a later anchor's lineup must beat this one
    if best is None:
        return None
    return sorted(best), int(values[best].sum())


def _stack_demands(slate: Slate, rank: dict[int, int]) -> dict[int, list]:
    """anchor -> [(partners, their search ranks sorted, how many are needed)]."""
    demands: dict[int, list] = {}
    for group in slate.stacks:
        if group.anchor not in rank:
            continue
        for partners, wanted in (
            (group.catchers, slate.stack.qb_with),
            (group.opponents, slate.stack.bring_back),
        ):
            if wanted > 0:
                inside = [i for i in partners if i in rank]
                entry = (frozenset(inside), sorted(rank[i] for i in inside), wanted)
                demands.setdefault(group.anchor, []).append(entry)
    return demands


def _legal(slate: Slate, lineup: list[int]) -> bool:
    """Games and stacks: the rules the search does not enforce as it goes."""
    games = {slate.game_of[i] for i in lineup}
    if len(games) < slate.rules.min_games:
        return False
    members = set(lineup)
    for group in slate.stacks:
        if group.anchor in members:
            if len(members.intersection(group.catchers)) < slate.stack.qb_with:
                return False
            if len(members.intersection(group.opponents)) < slate.stack.bring_back:
                return False
    return True
