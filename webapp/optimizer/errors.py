"""Optimizer errors: their messages are shown to the client as the job's error."""


class OptimizerError(Exception):
    """The request cannot be optimized as asked."""


class SolverLimitError(OptimizerError):
    """The solver's work limit or the request's time budget ran out before any lineup: not a
    proof that none exists, so never reported as infeasible."""


class InfeasibleError(OptimizerError):
    """No lineup satisfies the cap, roster slots, games and the request's constraints."""
