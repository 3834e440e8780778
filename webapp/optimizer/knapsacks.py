"""The pool grouped by the slots its players may fill, and the knapsack bounds on each group.

Players are grouped by the slots they may fill (QB, DST, TE, RB, WR in NFL; PG, PG/SG, ...
in NBA), groups with the fewest slots first, best values first within a group. A group
holds between `low` and `high` players of any lineup (from the slots: Hall's condition).
What the rest of a lineup can add is bounded by the group's later players (a cardinality
knapsack within the group) plus every later group (knapsacks within their bounds, combined
by a knapsack that counts each group's players), all within the salary left. The Hall rows
say which players would break Hall's condition together.
"""

from __future__ import annotations

import numpy as np

from webapp.optimizer.slate import Slate

NEG = -(2**50)


def knapsacks(values: list[int], costs: list[int], most: int, budget: int) -> list[np.ndarray]:
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


class Group:
    def __init__(self, members: list[int], low: int, high: int) -> None:
        self.members = members
        self.low = low
        self.high = high


def pool_groups(
    slate: Slate, pool: list[int], values: np.ndarray, first: list[tuple[list[int], int]]
) -> list[Group]:
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
        groups.append(Group(sorted(members, key=lambda i: (-values[i], i)), low, high))
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


def later_tables(groups: list[Group], value_of, cost_of, size: int, budget: int) -> list:
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


def hall_rows(slate: Slate, pool: list[int]) -> tuple[dict[int, list[int]], list[int]]:
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
