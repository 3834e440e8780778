"""DraftKings Classic lineup optimizer: exact lineups by projection, scored on simulations.

`optimize(players, options)` returns `{"lineups": [...], "exposures": {...}, "settings": {...},
"warnings": [...]}`. Lineups are the n best distinct lineups by projection under the salary cap,
roster slots, minimum games, locks, excludes, exposure limits and NFL stacks, solved exactly
(OR-Tools CP-SAT). With n_scenarios > 0 every lineup is also scored on correlated simulated
outcomes (seeded: the same request and seed give the same numbers): mean, stdev, p50, p90, p99
and how often it was the best of the returned lineups.
"""

from webapp.optimizer.engine import OptimizeOptions, optimize
from webapp.optimizer.errors import InfeasibleError, OptimizerError
from webapp.optimizer.players import check_players
from webapp.optimizer.rules import RULES

__all__ = [
    "RULES",
    "InfeasibleError",
    "OptimizeOptions",
    "OptimizerError",
    "check_players",
    "optimize",
]
