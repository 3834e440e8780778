"""A run's time budget: solvers get at most what is left, the run stops cleanly when it is spent."""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class BudgetSpent(Exception):
    """The run's time budget ran out; the lineups found so far are returned with a warning."""


class TimeBudget:
    """Seconds left for a run; None means no budget."""

    def __init__(self, seconds: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.deadline = math.inf if seconds is None else clock() + seconds

    def remaining(self) -> float:
        """Seconds left (inf without a budget, never below 0)."""
        return max(0.0, self.deadline - self.clock())

    def spent(self) -> bool:
        """True once the budget is used up."""
        return self.remaining() <= 0.0

    def check(self) -> None:
        """Raise BudgetSpent once the budget is used up."""
        if self.spent():
            raise BudgetSpent


NO_BUDGET = TimeBudget(None)
