"""Optimizer errors: their messages are shown to the client as the job's error."""


class OptimizerError(Exception):
    """The request cannot be optimized as asked."""


class InfeasibleError(OptimizerError):
    """No lineup satisfies the cap, roster slots, games and the request's constraints."""
