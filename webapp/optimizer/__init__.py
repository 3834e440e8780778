"""DraftKings lineup optimizer for the game types of rules.py (numpy + OR-Tools; no web or
storage code).

`optimize(players, options, *, progress=None, checkpoint=None) -> dict` returns
`{"lineups", "exposures", "settings", "n_candidates", "warnings"}`:

- lineups: best first; each `{"players": [{"slot", "id"}, ...] in roster slot order, "salary",
  "projection", "mean", "stdev", "p50", "p90", "p99", "best_frequency"}` (the simulated
  statistics are None when n_scenarios is 0).
- exposures: {player id: fraction of the lineups he is in}.
- settings: the options used, with the seed actually used.
- n_candidates: lineups considered (solved candidates, or lineups found when n_scenarios is 0).
- warnings: e.g. fewer lineups than asked exist under the constraints (those that exist are
  returned rather than failing).

With n_scenarios == 0 the lineups are the n best by projection: enumerated in one pass
(enumeration.py, enumerator.py) when min_unique is 1, else found in turn (CP-SAT on LP-pruned
pools, search.py). Otherwise candidates are the best lineups of many objectives built on
their own scenarios (candidates.py), scored on other scenarios (scenarios.py,
selection.py) and chosen as one portfolio (portfolio.py). Options and their bounds:
options.py; the bounds are checked where requests come in, and options are taken as given
here. Invalid players raise OptimizerError; impossible requests InfeasibleError, said only
when a solver proved it (bounds.py, model.py); a work limit or time budget spent before any
lineup SolverLimitError. A time budget returns what was found so far.
"""

from webapp.optimizer.checkpoint import Checkpoint
from webapp.optimizer.engine import optimize
from webapp.optimizer.errors import InfeasibleError, OptimizerError, SolverLimitError
from webapp.optimizer.options import OptimizeOptions
from webapp.optimizer.players import check_players
from webapp.optimizer.rules import GAME_TYPES, GameType, game_type

__all__ = [
    "GAME_TYPES",
    "Checkpoint",
    "GameType",
    "InfeasibleError",
    "OptimizeOptions",
    "OptimizerError",
    "SolverLimitError",
    "check_players",
    "game_type",
    "optimize",
]
