"""DraftKings Classic lineup optimizer (numpy + OR-Tools; no web or storage code).

`optimize(players, options, *, progress=None, checkpoint=None)` returns
`{"lineups", "exposures", "settings", "n_candidates", "warnings"}`. With n_scenarios == 0 the
lineups are the n best by projection, solved exactly; otherwise candidates are built from
correlated simulated outcomes and chosen by the selection rule. Options and their bounds are
documented in options.py.
"""

from webapp.optimizer.checkpoint import Checkpoint
from webapp.optimizer.engine import optimize
from webapp.optimizer.errors import InfeasibleError, OptimizerError
from webapp.optimizer.options import OptimizeOptions
from webapp.optimizer.players import check_players
from webapp.optimizer.rules import RULES

__all__ = [
    "RULES",
    "Checkpoint",
    "InfeasibleError",
    "OptimizeOptions",
    "OptimizerError",
    "check_players",
    "optimize",
]
