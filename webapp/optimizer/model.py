"""A CP-SAT model of the lineups that can be built from a pool of a slate's players."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence

import numpy as np
from ortools.sat.python import cp_model

from webapp.optimizer.budget import NO_BUDGET, TimeBudget
from webapp.optimizer.errors import SolverLimitError
from webapp.optimizer.slate import Slate

logger = logging.getLogger(__name__)

NO_FLOOR = -(2**62)
# CP-SAT deterministic seconds per solve (counted work, so the same on a busy machine; about
# a minute of one core): only a pathological request gets near it.
SOLVE_WORK_LIMIT = 60.0


class PoolModel:
    """One boolean per pooled player; slots (Hall's condition), cap, games, teams, limit rows,
    locks, stacks and team stacks.

    Cuts and exposure caps are added as lineups are found, so the model is reused from one
    lineup to the next.
    """

    def __init__(self, slate: Slate, pool: Sequence[int], values: np.ndarray) -> None:
        self.slate = slate
        self.pool = sorted(pool)
        self.model = cp_model.CpModel()
        self.var = {i: self.model.new_bool_var(f"p{i}") for i in self.pool}
        self._add_roster()
        self._add_games()
        self._add_teams()
        for members, most in slate.limits:
            self.add_row(members, 0, most)
        self._add_stacks()
        self._add_team_stack()
        for i in slate.locks:
            self.model.add(self.var[i] == 1)
        objective = self._sum(self.pool, values[self.pool].tolist())
        # Only lineups worth at least a floor are wanted; stating it prunes the search a lot.
        # The floor changes between solves, so it is one row whose bound is edited in place.
        self._floor = self.model.add(objective >= NO_FLOOR).proto.linear.domain
        self.model.maximize(objective)
        self.unproven = 0  # lineups kept at the work limit without a proof that they are best

    def _sum(self, members: Iterable[int], weights: Sequence[int] | None = None) -> object:
        chosen = [i for i in members if i in self.var]
        variables = [self.var[i] for i in chosen]
        if weights is None:
            return cp_model.LinearExpr.sum(variables)
        return cp_model.LinearExpr.weighted_sum(variables, list(weights))

    def _add_roster(self) -> None:
        slate = self.slate
        self.model.add(self._sum(self.pool) == slate.rules.size)
        for members, open_slots in slate.hall:
            if sum(1 for i in members if i in self.var) > open_slots:
                self.model.add(self._sum(members) <= open_slots)
        salaries = slate.salaries[self.pool].tolist()
        self.model.add(self._sum(self.pool, salaries) <= slate.rules.salary_cap)

    def _add_games(self) -> None:
        self._at_least_groups(self.slate.games, self.slate.rules.min_games)

    def _add_teams(self) -> None:
        self._at_least_groups(self.slate.counted_teams, self.slate.rules.min_teams)

    def _at_least_groups(self, groups: Sequence[Sequence[int]], needed: int) -> None:
        """Players of at least `needed` of the groups (games, teams) in the lineup."""
        pooled = [[i for i in group if i in self.var] for group in groups]
        pooled = [group for group in pooled if group]
        if needed <= 1:
            return
        if needed == 2:
            # "At least two" is "not all from one": one row per group, no new variables.
            counted = sorted(i for group in pooled for i in group)
            for group in pooled:
                inside = set(group)
                self.model.add(self._sum(i for i in counted if i not in inside) >= 1)
            return
        present = []
        for group in pooled:
            flag = self.model.new_bool_var("")
            self.model.add(self._sum(group) >= 1).only_enforce_if(flag)
            self.model.add(self._sum(group) == 0).only_enforce_if(~flag)
            present.append(flag)
        self.model.add(cp_model.LinearExpr.sum(present) >= needed)

    def _add_team_stack(self) -> None:
        """Each size of the team stack from its own team: a flag per team and size."""
        sizes = self.slate.team_stack
        if not sizes:
            return
        teams = [[i for i in team if i in self.var] for team in self.slate.stack_teams]
        flags = [[self.model.new_bool_var("") for _ in sizes] for _ in teams]
        for members, own in zip(teams, flags, strict=True):
            weights = list(sizes)
            self.model.add(self._sum(members) >= cp_model.LinearExpr.weighted_sum(own, weights))
            self.model.add(cp_model.LinearExpr.sum(own) <= 1)
        for s in range(len(sizes)):
            self.model.add(cp_model.LinearExpr.sum([own[s] for own in flags]) == 1)

    def _add_stacks(self) -> None:
        stack = self.slate.stack
        for group in self.slate.stacks:
            if group.anchor not in self.var:
                continue
            anchor = self.var[group.anchor]
            self.model.add(self._sum(group.partners) >= stack.partners).only_enforce_if(anchor)
            if stack.bring_back:
                need = stack.bring_back
                self.model.add(self._sum(group.opponents) >= need).only_enforce_if(anchor)

    def add_cut(self, lineup: Sequence[int], max_shared: int) -> None:
        """Forbid lineups sharing more than `max_shared` players with `lineup`."""
        self.model.add(self._sum(lineup) <= max_shared)

    def add_row(self, members: Sequence[int], low: int, high: int) -> None:
        """Between `low` and `high` of `members` (those in the pool) in the lineup."""
        self.model.add_linear_constraint(self._sum(members), low, high)

    def _run(self, hint: Sequence[int], budget: TimeBudget) -> tuple[object, object]:
        self.model.clear_hints()
        chosen = set(hint)
        for i, var in self.var.items():
            self.model.add_hint(var, i in chosen)
        solver = cp_model.CpSolver()
        # One worker and a work limit rather than a clock: the search is deterministic, so
        # equal requests give equal lineups even among ties and under load. Probing costs
        # more than it saves on these small models (measured).
        solver.parameters.num_workers = 1
        solver.parameters.cp_model_probing_level = 0
        solver.parameters.max_deterministic_time = SOLVE_WORK_LIMIT
        solver.parameters.max_time_in_seconds = budget.remaining()  # inf without a time budget
        return solver, solver.solve(self.model)

    def solve(
        self, hint: Sequence[int] = (), floor: float = -math.inf, budget: TimeBudget = NO_BUDGET
    ) -> tuple[list[int], int] | None:
        """(players, objective) of an optimal lineup worth at least `floor`; None only when
        proven infeasible. A solve that stops without a proof is tried once more without the
        hint; a lineup it then finds is kept (counted in `unproven`); raises BudgetSpent when
        the run's time budget ran out first, SolverLimitError when the work limit ran out
        before any lineup."""
        self._floor[0] = NO_FLOOR if floor <= NO_FLOOR else math.ceil(floor)
        solver, status = self._run(hint, budget)
        if status not in (cp_model.OPTIMAL, cp_model.INFEASIBLE):
            budget.check()
            logger.warning("CP-SAT stopped with %s; solving again without the hint", status.name)
            solver, status = self._run((), budget)
        if status == cp_model.INFEASIBLE:
            return None
        if status == cp_model.FEASIBLE:
            logger.warning("CP-SAT kept a lineup without a proof of optimality")
            self.unproven += 1
        elif status != cp_model.OPTIMAL:
            budget.check()
            raise SolverLimitError(
                f"the solver stopped at its work limit without a lineup ({status.name})"
            )
        players = [i for i, var in self.var.items() if solver.boolean_value(var)]
        return players, round(solver.objective_value)
