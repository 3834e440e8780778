"""Upper bounds on the best lineup containing each player, from one LP relaxation (GLOP).

For a maximisation LP at its optimum z* with reduced costs d (d_i <= 0 for a variable at its
lower bound 0), every feasible x satisfies c.x <= z* + sum over such i of d_i * x_i. So a lineup
that contains player i is worth at most z* + d_i. The LP holds only constraints every lineup
obeys (size, slots, cap, locks, limit rows, stack), so the bound holds for every lineup the
exact model allows, whatever cuts are added later; the solver uses it to leave out players who
cannot reach a threshold.

Only OPTIMAL and INFEASIBLE are taken at their word. Any other status (GLOP can answer
ABNORMAL when a reused model is re-solved with new objective values) is logged and the LP is
rebuilt and solved once more; if that fails too, the bounds fall back to the trivial ones (the
sum of the `size` highest values for everyone), which prune nothing but are still true. An
INFEASIBLE answer from a model solved before is confirmed on a fresh one before it is
believed, so "infeasible" is only ever said when proven.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from ortools.linear_solver import pywraplp

from webapp.optimizer.slate import Slate

logger = logging.getLogger(__name__)

# Slack added to every bound, in objective units, so LP round-off never drops a player
# whose true bound reaches the threshold.
SAFETY = 1.0


@dataclass(frozen=True)
class Bounds:
    """LP optimum and per-player upper bounds, in objective units."""

    lp_value: float
    player_bounds: np.ndarray
    from_lp: bool = True  # False for the trivial fallback, whose lp_value is far too high


def trivial_bounds(slate: Slate, values: np.ndarray) -> Bounds:
    """Bounds that hold without any LP: no lineup beats its `size` highest values."""
    best = float(np.sort(values)[::-1][: slate.rules.size].sum())
    return Bounds(best, np.full(len(slate), best + SAFETY), from_lp=False)


class BoundsModel:
    """The LP relaxation of one slate; re-solved cheaply for each set of objective values."""

    def __init__(self, slate: Slate) -> None:
        self.slate = slate
        self._build()

    def _build(self) -> None:
        self.solver = pywraplp.Solver.CreateSolver("GLOP")
        locks = set(self.slate.locks)
        self.x = [
            self.solver.NumVar(1.0 if i in locks else 0.0, 1.0, "") for i in range(len(self.slate))
        ]
        self._add_constraints()
        self.solves = 0

    def _row(self, low: float, high: float, members: tuple[int, ...] | list[int]) -> None:
        row = self.solver.Constraint(low, high)
        for i in members:
            row.SetCoefficient(self.x[i], 1.0)

    def _add_constraints(self) -> None:
        slate, infinity = self.slate, self.solver.infinity()
        size = slate.rules.size
        self._row(size, size, range(len(slate)))
        for members, open_slots in slate.hall:
            self._row(-infinity, open_slots, members)
        cap = self.solver.Constraint(-infinity, slate.rules.salary_cap)
        for i, salary in enumerate(slate.salaries):
            cap.SetCoefficient(self.x[i], float(salary))
        for members, most in slate.limits:
            self._row(-infinity, most, members)
        for group in slate.stacks:
            self._stack_row(group.anchor, group.partners, slate.stack.partners)
            self._stack_row(group.anchor, group.opponents, slate.stack.bring_back)

    def _stack_row(self, anchor: int, members: tuple[int, ...], need: int) -> None:
        if need <= 0:
            return
        row = self.solver.Constraint(0.0, self.solver.infinity())  # sum(members) - need*x >= 0
        for i in members:
            row.SetCoefficient(self.x[i], 1.0)
        row.SetCoefficient(self.x[anchor], -float(need))

    def _solve_once(self, values: np.ndarray) -> int:
        objective = self.solver.Objective()
        for var, value in zip(self.x, values.tolist(), strict=True):
            objective.SetCoefficient(var, float(value))
        objective.SetMaximization()
        self.solves += 1
        return self.solver.Solve()

    def _bounds(self) -> Bounds:
        z = self.solver.Objective().Value()
        at_zero = np.array([v.solution_value() < 1e-9 for v in self.x])
        reduced = np.array([v.reduced_cost() for v in self.x])
        bounds = np.where(at_zero, z + np.minimum(reduced, 0.0), z) + SAFETY
        return Bounds(z, bounds)

    def with_player(self, values: np.ndarray, player: int) -> np.ndarray | None:
        """Per-player bounds on the best lineup that holds `player` as well (the LP with his
        variable fixed at 1), or None when the LP gives no answer it can trust (then no
        bound: nothing may be left out on its account). Leaves the model as it was."""
        variable = self.x[player]
        low = variable.lb()
        variable.SetLb(1.0)
        try:
            status = self._solve_once(values)
            if status != pywraplp.Solver.OPTIMAL:
                return None
            return self._bounds().player_bounds
        finally:
            variable.SetLb(low)

    def solve(self, values: np.ndarray) -> Bounds | None:
        """Bounds for these integer objective values; None only when the LP is proven
        infeasible (then no lineup exists)."""
        reused = self.solves > 0
        status = self._solve_once(values)
        if status == pywraplp.Solver.OPTIMAL:
            return self._bounds()
        if status == pywraplp.Solver.INFEASIBLE and not reused:
            return None
        logger.warning("LP bounds: GLOP status %d; solving again on a rebuilt model", status)
        self._build()
        status = self._solve_once(values)
        if status == pywraplp.Solver.OPTIMAL:
            return self._bounds()
        if status == pywraplp.Solver.INFEASIBLE:
            return None
        logger.warning("LP bounds: GLOP status %d again; solving without LP pruning", status)
        self._build()  # leave a clean model for the next call
        return trivial_bounds(self.slate, values)
