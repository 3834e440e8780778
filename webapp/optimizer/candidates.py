"""Candidate lineups for simulation: the best lineups of many plausible objectives.

Each objective is a vector of points per player; for each, the `per_objective` best lineups
are enumerated exactly (enumeration.py) under the request's locks, excludes and stack:

- the projections themselves (the exact top lineups), and where the game type says so (NFL
  classic) without a requested stack also with a QB + 1, QB + 2 and QB + 2 + bring-back stack;
- "sims per lineup": averages of `sims` build scenarios for several `sims` (one scenario is
  all noise; many are the projection again; in between are lineups that are good in a
  cluster of related outcomes, stacks included);
- noisy projections: projection + a normal error of a share of each player's stdev.

Build scenarios come from their own random stream, never from the scenarios the lineups
are later selected on (selection.py). Players dominated in an objective (at least as many
cheaper, better players eligible for every slot they are, as a lineup could hold) are left
out before each enumeration, which keeps it cheap (where a game type's rules depend on teams,
only players of the same team and positions dominate). Objectives are solved by a thread pool of
`threads` workers; results are kept in objective order, so threads never change the answer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from webapp.optimizer.bounds import BoundsModel
from webapp.optimizer.budget import BudgetSpent, TimeBudget
from webapp.optimizer.enumeration import top_lineups
from webapp.optimizer.search import LineupSearch, best_lineups
from webapp.optimizer.slate import Slate, Stack

SIMS_PER_LINEUP = (3, 6, 12, 24)  # build scenarios averaged per objective
NOISE_SHARES = (0.35, 0.7)  # noisy-projection error, as a share of each player's stdev
AUTO_STACKS = (Stack(1, 0), Stack(2, 0), Stack(2, 1))
STACKED_MAX = 40  # best stacked lineups by projection, per stack


@dataclass(frozen=True)
class Objective:
    """Points per player to enumerate the best lineups of, on a slate (maybe stacked)."""

    values: np.ndarray
    slate: Slate
    count: int
    min_unique: int = 1  # above 1: lineups found in turn, each differing by that many
    # (members, low, high): lineups hold low..high of the members (team rules); with rows
    # the lineups are also found in turn.
    rows: tuple[tuple[tuple[int, ...], int, int], ...] = ()


def plan_size(n_lineups: int) -> tuple[int, int]:
    """(objectives per source, lineups per objective) for a request of n lineups."""
    per_objective = 6 if n_lineups <= 20 else 10
    objectives = max(6, min(12, n_lineups // 12 + 4))
    return objectives, per_objective


def dominated(slate: Slate, values: np.ndarray, keep: Sequence[int] = ()) -> set[int]:
    """Players with at least `room` dominators: eligible for every slot they are, no dearer,
    at least as good (ties broken by index); `room` is how many players of those slots a
    lineup could hold (one more in showdown, where a dominator's captain row may hold him
    out), so some dominator is always free to take the player's place. Where rules depend on
    teams or positions (limit rows, teams, team stacks), a dominator also has the player's
    team and positions, so the swap changes none of them."""
    salaries, n = slate.salaries, len(slate)
    eligible = slate.eligible
    kinds = sorted(set(eligible), key=sorted)
    kind_of = np.array([kinds.index(e) for e in eligible])
    covers = np.array([[a >= b for b in kinds] for a in kinds])  # covers[a, b]: a ⊇ b
    room = np.array([len(frozenset().union(*(a for a in kinds if a >= b))) for b in kinds])
    room += int(slate.rules.rows_by_slot)
    better = (values[None, :] > values[:, None]) | (
        (values[None, :] == values[:, None]) & (np.arange(n)[None, :] < np.arange(n)[:, None])
    )
    beats = better & (salaries[None, :] <= salaries[:, None]) & covers[kind_of][:, kind_of].T
    if slate.limits or slate.rules.min_teams > 1 or slate.team_stack:
        beats &= _alike(slate)
    np.fill_diagonal(beats, False)
    out = set(np.flatnonzero(beats.sum(axis=1) >= room[kind_of]).tolist())
    return out - set(keep) - set(slate.locks)


def _alike(slate: Slate) -> np.ndarray:
    """alike[i, j]: players i and j have the same team and positions."""
    keys = [(p.team, p.positions) for p in slate.players]
    number = {key: n for n, key in enumerate(sorted(set(keys)))}
    codes = np.array([number[key] for key in keys])
    return codes[:, None] == codes[None, :]


def objectives(
    slate: Slate,
    stacked: Sequence[Slate],
    build_rows: np.ndarray,
    stdev: np.ndarray,
    n_lineups: int,
    seed: int,
    min_unique: int = 1,
) -> list[Objective]:
    """Every objective of a run, in a fixed order. With min_unique above 1 the exact
    lineups (plain and stacked) are also found in turn under that uniqueness."""
    count, per = plan_size(n_lineups)
    found = [Objective(slate.projections, slate, max(per, n_lineups))]
    stacked_count = max(per, min(n_lineups, STACKED_MAX))
    found += [Objective(slate.projections, other, stacked_count) for other in stacked]
    if min_unique > 1:
        for base in (slate, *stacked[-1:]):
            found.append(Objective(slate.projections, base, n_lineups, min_unique))
    used = 0
    for sims in SIMS_PER_LINEUP:
        for _ in range(count):
            found.append(Objective(build_rows[used : used + sims].mean(axis=0), slate, per))
            used += sims
    rng = np.random.default_rng([seed, 2])
    for share in NOISE_SHARES:
        for _ in range(count):
            noise = rng.standard_normal(len(slate)) * stdev * share
            found.append(Objective(np.maximum(slate.projections + noise, 0.0), slate, per))
    return found


def build_rows_needed(n_lineups: int) -> int:
    """Build scenarios the objectives of a request use."""
    return sum(SIMS_PER_LINEUP) * plan_size(n_lineups)[0]


def stacked_slates(slate: Slate) -> list[Slate]:
    """Copies of a slate that demand the usual stacks, when its game type asks for them and
    the request asks for no stack."""
    rule = slate.rules.stack
    if slate.stack is not None or rule is None or not rule.auto:
        return []
    return [slate.variant(slate.lock_ids, stack) for stack in AUTO_STACKS]


class _LpCache:
    """One LP relaxation per slate and worker thread, re-solved for each objective: building
    it costs about as much as a small objective's enumeration (measured). A model is never
    shared between threads. Only for `top_lineups`, whose answer is the same whatever the
    pools (every lineup above a floor, ranked with ties broken by players)."""

    def __init__(self) -> None:
        self._local = threading.local()

    def get(self, slate: Slate) -> BoundsModel:
        models = getattr(self._local, "models", None)
        if models is None:
            models = self._local.models = {}
        if id(slate) not in models:
            models[id(slate)] = (slate, BoundsModel(slate))  # the slate kept: ids stay unique
        return models[id(slate)][1]


def _solve_unique(objective: Objective, forbidden: frozenset[int], budget: TimeBudget) -> list:
    slate = objective.slate
    values = slate.scaled(objective.values)
    # A fresh LP: which tied lineup a search returns depends on its pools, so they must not
    # depend on which thread solved what before.
    search = LineupSearch(slate, values, BoundsModel(slate), budget=budget)
    for members, low, high in objective.rows:
        search.add_row(members, low, high)
    limits = np.full(len(slate), objective.count)
    limits[list(forbidden)] = 0
    return [sorted(x) for x in best_lineups(search, objective.count, objective.min_unique, limits)]


def _solve(
    objective: Objective, forbidden: frozenset[int], budget: TimeBudget, lps: _LpCache
) -> list[list[int]]:
    if objective.min_unique > 1 or objective.rows:
        return _solve_unique(objective, forbidden, budget)
    values = objective.slate.scaled(objective.values)
    stacked = objective.slate.stack is not None  # pruning could remove a stack's partners
    skip = forbidden | (frozenset() if stacked else frozenset(dominated(objective.slate, values)))
    lp = lps.get(objective.slate)
    found = top_lineups(objective.slate, values, objective.count, skip, budget, lp)
    if not found and skip != forbidden:  # pruning is a shortcut, never a reason to fail
        found = top_lineups(objective.slate, values, objective.count, forbidden, budget, lp)
    return [sorted(lineup) for lineup in found]


def build_candidates(
    targets: Sequence[Objective],
    forbidden: frozenset[int],
    threads: int,
    budget: TimeBudget,
    on_objective: Callable[[int, list[list[int]]], None],
    done: tuple[int, list[list[int]]] = (0, []),
) -> list[list[int]]:
    """Distinct candidate lineups, objective by objective, continuing from `done` (objectives
    solved and candidates found by an earlier run); `on_objective(solved, candidates)` sees
    each step. Stops early, keeping what it has, when the time budget runs out."""
    start, found = done
    candidates = [list(lineup) for lineup in found]
    seen = {tuple(lineup) for lineup in candidates}
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        lps = _LpCache()
        futures = [
            pool.submit(_solve, target, forbidden, budget, lps) for target in targets[start:]
        ]
        for solved, future in enumerate(futures, start=start + 1):
            try:
                lineups = future.result()
            except BudgetSpent:
                break
            for lineup in lineups:
                if tuple(lineup) not in seen:
                    seen.add(tuple(lineup))
                    candidates.append(lineup)
            on_objective(solved, candidates)
        for future in futures:
            future.cancel()
    return candidates
