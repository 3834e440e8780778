"""Exact lineup search: the best lineup, and the n best that differ enough, by any values.

Each solve works on a pool: the players whose LP upper bound (see bounds.py) reaches a
threshold L. If the pool's optimum is at least L it is the optimum over every player, because
any lineup using a left-out player is worth less than L; ties included, since such a lineup
can't tie either. Otherwise L is lowered (the gap to the LP value doubles), the pool grows
and the same step is solved again, until L is below every bound and the pool is everyone.
A pool's optimum comes from best_lineup.best_lineup, or from CP-SAT for
the largest pools, the last step over everyone, and slates whose rules the branch and bound
only checks on full lineups (team stacks).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from webapp.optimizer.best_lineup import best_lineup
from webapp.optimizer.bounds import Bounds, BoundsModel
from webapp.optimizer.budget import NO_BUDGET, BudgetSpent, TimeBudget
from webapp.optimizer.enumerator import RulesBindError
from webapp.optimizer.errors import InfeasibleError
from webapp.optimizer.model import PoolModel
from webapp.optimizer.shares import most_lineups
from webapp.optimizer.slate import SCALE, Slate
from webapp.optimizer.teams import TeamLimit

# First gap between the LP value and the threshold, as a share of the LP value (at least one
# point): about what the 150 best NFL lineups span; a wider gap only makes the pool bigger.
FIRST_GAP_SHARE = 0.004
GAP_GROWTH = 2.0
# Largest pool searched by branch and bound rather than CP-SAT (measured: B&B is faster on
# the pools of real slates, whose LP bounds leave out most players).
DFS_POOL = 400
STEP_SHARE = 0.05  # first floor below the last lineup's value, as a share of the first gap


class LineupSearch:
    """Finds lineups one at a time, each the best still allowed: exact, not greedy."""

    def __init__(
        self,
        slate: Slate,
        values: np.ndarray,
        bounds_model: BoundsModel,
        *,
        first_gap_share: float = FIRST_GAP_SHARE,
        tight_floors: bool = True,
        budget: TimeBudget = NO_BUDGET,
    ) -> None:
        self.slate = slate
        self.budget = budget
        self.values = values
        bounds = bounds_model.solve(values)
        self.bounds_model = bounds_model
        self.with_anchor: dict[int, np.ndarray | None] = {}
        if bounds is None:
            raise InfeasibleError(
                "no lineup fits the salary cap and roster slots with these locks and stacks"
            )
        self.bounds: Bounds = bounds
        self.gap = max(first_gap_share * abs(bounds.lp_value), float(SCALE))
        self.tight_floors = tight_floors
        self.cuts: list[tuple[tuple[int, ...], int]] = []
        self.rows: list[tuple[tuple[int, ...], int, int]] = []
        self.forbidden: set[int] = set()
        self.last = bounds.lp_value  # no later lineup is worth more than the last one
        self.step = STEP_SHARE * self.gap
        # No lineup is worth less than its `size` lowest values.
        self.lowest = float(np.sort(values)[: slate.rules.size].sum())
        self.hint: list[int] = []
        self.unproven = 0  # lineups CP-SAT kept at its work limit, not proven the best
        # Once the branch and bound met too many lineups breaking the rules it checks at the
        # end (enumerator.MAX_REJECTED), CP-SAT solves every later pool.
        self.cp_sat_only = slate.needs_cp_sat

    def _pool_for(self, threshold: float) -> list[int]:
        keep = self.bounds.player_bounds >= threshold
        keep[list(self.slate.locks)] = True
        return [i for i in np.flatnonzero(keep).tolist() if i not in self.forbidden]

    def _model_for(self, pool: list[int]) -> PoolModel:
        # A fresh model per step, built only from (pool, cuts): the answer then depends on
        # the search state alone, so a resumed run picks the same lineups among ties.
        model = PoolModel(self.slate, pool, self.values)
        for lineup, max_shared in self.cuts:
            model.add_cut(lineup, max_shared)
        for members, low, high in self.rows:
            model.add_row(members, low, high)
        return model

    def next(self) -> list[int] | None:
        """The best lineup allowed by the cuts and exclusions so far; None if none is left."""
        while True:
            threshold = self.bounds.lp_value - self.gap
            everyone = bool(np.all(self.bounds.player_bounds >= threshold))
            if everyone:
                threshold = -math.inf
            found = self._solve_above(self._pool_for(threshold), threshold)
            if found is not None:
                self.hint, self.last = found
                return found[0]
            if everyone:
                return None
            self.gap *= GAP_GROWTH

    def _solve_above(self, pool: list[int], threshold: float) -> tuple[list[int], int] | None:
        """The pool's optimum if it reaches the threshold, trying tight floors first.

        A floor just under the last lineup's value makes the proof quick; an optimum found
        above a floor is the pool's optimum, and an empty floor is lowered until it reaches
        the threshold. Pools up to DFS_POOL players are searched by branch and bound
        (best_lineup.py), larger ones, and the last step over every player (where proving that
        nothing is left is CP-SAT's strength), by CP-SAT."""
        by_search = len(pool) <= DFS_POOL and threshold > -math.inf
        solve = (
            self._branch_and_bound(pool)
            if by_search and not self.cp_sat_only
            else self._cp_sat(pool)
        )
        while True:
            floor = max(threshold, self.last - self.step) if self.tight_floors else threshold
            if floor <= self.lowest:
                floor = threshold  # the floor no longer excludes anything
            self.budget.check()
            try:
                found = solve(floor)
            except RulesBindError:
                self.cp_sat_only = True
                solve = self._cp_sat(pool)
                found = solve(floor)
            if found is not None or floor == threshold:
                return found
            self.step *= GAP_GROWTH

    def _cp_sat(self, pool: list[int]) -> Callable[[float], tuple[list[int], int] | None]:
        model = self._model_for(pool)

        def solve(floor: float) -> tuple[list[int], int] | None:
            found = model.solve(self.hint, floor, self.budget)
            self.unproven += model.unproven
            model.unproven = 0
            return found

        return solve

    def _branch_and_bound(self, pool: list[int]) -> Callable[[float], tuple[list[int], int] | None]:
        return lambda floor: best_lineup(
            self.slate,
            pool,
            self.values,
            floor,
            self.cuts,
            self.rows,
            self._anchor_bounds,
            budget=self.budget,
        )

    def _anchor_bounds(self, anchor: int) -> np.ndarray | None:
        # Bounds with a stack's anchor fixed: the same for every lineup, solved once each.
        if anchor not in self.with_anchor:
            self.with_anchor[anchor] = self.bounds_model.with_player(self.values, anchor)
        return self.with_anchor[anchor]

    def add_cut(self, lineup: Sequence[int], max_shared: int) -> None:
        """Forbid lineups sharing more than `max_shared` players with `lineup`."""
        self.cuts.append((tuple(lineup), max_shared))

    def add_row(self, members: Sequence[int], low: int, high: int) -> None:
        """Every later lineup holds between `low` and `high` of `members` (a team rule)."""
        self.rows.append((tuple(members), low, high))

    def forbid(self, player: int) -> None:
        """Keep a player out of every later lineup (its exposure limit is reached)."""
        self.forbidden.add(player)

    def state(self) -> dict[str, float]:
        """What, with the lineups found, lets a later run continue exactly as this one would."""
        return {"gap": self.gap, "step": self.step}

    def resume(self, state: dict[str, float], last: Sequence[int]) -> None:
        """Continue after `last`, the latest lineup of an earlier run that saved `state`."""
        self.gap, self.step = float(state["gap"]), float(state["step"])
        self.hint = list(last)
        self.last = int(self.values[list(last)].sum())


def exposure_limits(
    slate: Slate, n_lineups: int, max_exposure: float, overrides: dict[str, float]
) -> np.ndarray:
    """How many lineups each player may appear in (shares.most_lineups); locks in all."""
    limits = np.array(
        [most_lineups(overrides.get(p.id, max_exposure), n_lineups) for p in slate.players],
        dtype=np.int64,
    )
    limits[list(slate.locks)] = n_lineups
    return limits


class _TeamCaps:
    """Teams' maxima in a search: once a team is used by its maximum of lineups, later
    lineups hold fewer than `players` of its players (as a player at his limit is left out)."""

    def __init__(self, search: LineupSearch, teams: Sequence[TeamLimit]) -> None:
        self.search, self.teams = search, teams
        self.counts = [0] * len(teams)
        for t, team in enumerate(teams):
            if team.max_count <= 0:
                self._cap(t)

    def _cap(self, t: int) -> None:
        self.search.add_row(self.teams[t].members, 0, self.teams[t].players - 1)

    def record(self, lineup: Sequence[int]) -> None:
        for t, team in enumerate(self.teams):
            if team.uses(lineup):
                self.counts[t] += 1
                if self.counts[t] == team.max_count:
                    self._cap(t)


def best_lineups(
    search: LineupSearch,
    n_lineups: int,
    min_unique: int,
    limits: np.ndarray,
    *,
    done: Sequence[Sequence[int]] = (),
    resume_state: dict[str, float] | None = None,
    on_lineup: Callable[[list[list[int]]], None] | None = None,
    teams: Sequence[TeamLimit] = (),
) -> list[list[int]]:
    """The n best lineups in turn, each differing from earlier ones by `min_unique` players
    and within the exposure limits (players' and the teams' maxima); fewer when fewer exist
    or the time budget runs out. `done` and `resume_state` (from `LineupSearch.state()`)
    resume an earlier run."""
    counts = np.zeros(len(search.slate), dtype=np.int64)
    team_caps = _TeamCaps(search, teams)
    lineups: list[list[int]] = []
    for i in np.flatnonzero(limits <= 0).tolist():
        search.forbid(i)

    def record(lineup: list[int]) -> None:
        lineups.append(lineup)
        search.add_cut(lineup, search.slate.rules.size - min_unique)
        counts[lineup] += 1
        for i in lineup:
            if counts[i] >= limits[i]:
                search.forbid(i)
        team_caps.record(lineup)

    for lineup in done:
        record(list(lineup))
    if done and resume_state is not None:
        search.resume(resume_state, done[-1])
    while len(lineups) < n_lineups:
        try:
            lineup = search.next()
        except BudgetSpent:
            break  # the caller sees search.budget.spent() and says so
        if lineup is None:
            break
        record(lineup)
        if on_lineup is not None:
            on_lineup(lineups)
    return lineups
