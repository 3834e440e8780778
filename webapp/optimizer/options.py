"""What a request asks of the optimizer, and the bounds of every option.

The bounds are checked once, where requests come in (webapp/api/schemas.py builds its schema
and the OpenAPI document from them); the optimizer trusts an `OptimizeOptions` it is given.

Options (every field of `OptimizeOptions`):

- `sport`: "nfl", "nba", "mlb" or "nhl"; `contest_type`: "classic" (default) or "showdown"
  (NFL and NBA). Together they name a DraftKings game type of rules.py.
- `n_lineups`: how many lineups to return, `MIN_LINEUPS`..`MAX_LINEUPS` (default 1).
- `n_scenarios`: simulated outcomes, 0..`MAX_SCENARIOS` (default 1000). 0 means plain
  projections: the n best lineups by projection, solved exactly. Above 0, candidate lineups are
  built from scenarios and chosen by `selection`.
- `seed`: seed of the simulation (0..`MAX_SEED`). None derives one from the request itself (a
  hash of players and options), so equal requests still give equal results; the seed used is
  reported in the result's `settings`.
- `min_unique`: each lineup differs from every earlier one by at least this many players,
  1..roster size (default 1; `MAX_ROSTER`, the largest roster, bounds it for any sport).
- `locks`: player ids in every lineup (at most `MAX_ROSTER`). `excludes`: ids never used.
- `max_exposure`: largest fraction of the lineups any one player may appear in, 0 < x <= 1
  (default 1.0); a player may appear in floor(x * n_lineups) lineups, at least one.
  `exposure`: per-player overrides {id: fraction in 0..1}; 0 keeps the player out. Locked
  players are in every lineup whatever their exposure.
- `min_exposure`: per-player floors {id: fraction in 0..1}: the player is in at least
  ceil(fraction * n_lineups) lineups (dropped with a warning when that cannot be met).
- `correlation`: loadings by position overriding the factor model's defaults,
  {position: {factor: loading}}, at most `MAX_CORRELATION_POSITIONS` positions, loadings in
  `LOADING_BOUNDS`; factors and defaults in factors.py.
- `threads`: solver threads for simulation candidates (None: the CPU count). Does not
  change the result.
- `stack`: NFL classic only, optional `{"qb_with": k, "bring_back": b}`: every lineup's QB comes
  with at least k (1..4) WR/TE of his team and b (0..2) RB/WR/TE of the opposing team.
- `captain_with`: showdown only, optional k (1..4): the captain's team has at least k of the
  FLEX/UTIL players.
- `team_stack`: MLB and NHL classic, optional sizes, e.g. [5, 3]: every lineup holds at least
  5 hitters (NHL: skaters) of one team and 3 of another.
- `avoid_opposing`: NFL classic and showdown, MLB, NHL: no offensive player against the
  lineup's DST, no hitter against its pitchers, no skater against its goalie (default false).
- `selection`: how lineups are chosen from scenario candidates: "mean" (default, highest
  simulated mean), "percentile" (highest `percentile`-th percentile of simulated points),
  "best_frequency" (most often the best candidate in a scenario) or "roi" (highest mean
  payout in `n_scenarios` simulated contests against a field, `contest`; webapp.contest).
  Ignored when n_scenarios is 0.
- `contest`: with selection "roi", the contest the lineups are chosen for, as POST /contests
  takes it (field_size, entry_fee, payouts, ...; docs/contest.md).
- `percentile`: 1..99 (default 90), used by "percentile".
- `team_exposure`: team and stack exposure, {team: {"max": share, "min": share,
  "players": k}}: at most floor(max * n) and at least ceil(min * n) lineups hold k or more
  (default 1) players of the team; see teams.py.
- `time_budget_seconds`: wall-clock budget of the run (None: none). When it runs out, the
  lineups found so far are returned with a warning instead of failing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from webapp.optimizer.rules import CLASSIC, DEFAULT_SPORT
from webapp.optimizer.rules import MAX_ROSTER as MAX_ROSTER  # bounds min_unique and locks

MIN_LINEUPS = 1
MAX_LINEUPS = 150
DEFAULT_SCENARIOS = 1000
MAX_SCENARIOS = 100_000
MAX_SEED = 2**63 - 1
MIN_UNIQUE_DEFAULT = 1
STACK_QB_WITH = (1, 4)  # inclusive bounds of stack["qb_with"]
STACK_BRING_BACK = (0, 2)  # inclusive bounds of stack["bring_back"]
CAPTAIN_WITH = (1, 4)  # inclusive bounds of captain_with (5 would leave one team)
TEAM_STACK_SIZE = (2, 5)  # inclusive bounds of each team_stack size
MAX_TEAM_STACKS = 3
SELECTIONS = ("mean", "percentile", "best_frequency", "roi")
PERCENTILE_BOUNDS = (1, 99)
DEFAULT_PERCENTILE = 90.0
LOADING_BOUNDS = (-0.99, 0.99)  # of each correlation loading
MAX_CORRELATION_POSITIONS = 10


@dataclass(frozen=True)
class OptimizeOptions:
    """What a request asks of the optimizer; see the module docstring for every field."""

    sport: str = DEFAULT_SPORT
    contest_type: str = CLASSIC
    n_lineups: int = 1
    n_scenarios: int = DEFAULT_SCENARIOS
    seed: int | None = None
    min_unique: int = MIN_UNIQUE_DEFAULT
    locks: Sequence[str] = ()
    excludes: Sequence[str] = ()
    max_exposure: float = 1.0
    exposure: Mapping[str, float] = field(default_factory=dict)
    stack: Mapping[str, int] | None = None
    selection: str = "mean"
    percentile: float = DEFAULT_PERCENTILE
    time_budget_seconds: float | None = None
    min_exposure: Mapping[str, float] = field(default_factory=dict)
    correlation: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    threads: int | None = None
    # Team and stack exposure (teams.py): {team: {"max": share, "min": share, "players": k}}.
    team_exposure: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    captain_with: int | None = None
    team_stack: Sequence[int] = field(default_factory=list)
    avoid_opposing: bool = False
    # selection "roi": the contest (webapp.contest), as POST /contests takes it.
    contest: Mapping[str, Any] | None = None

    def to_settings(self, seed: int | None) -> dict[str, Any]:
        """The options as plain JSON data, with the seed actually used."""
        return {
            "sport": self.sport,
            "n_lineups": self.n_lineups,
            "n_scenarios": self.n_scenarios,
            "seed": seed,
            "min_unique": self.min_unique,
            "locks": sorted(self.locks),
            "excludes": sorted(self.excludes),
            "max_exposure": self.max_exposure,
            "exposure": dict(sorted(self.exposure.items())),
            "stack": dict(self.stack) if self.stack else None,
            "selection": self.selection,
            "percentile": self.percentile,
            "min_exposure": dict(sorted(self.min_exposure.items())),
            "correlation": {
                k: dict(sorted(v.items())) for k, v in sorted(self.correlation.items())
            },
            **self._later_settings(),
        }

    def _later_settings(self) -> dict[str, Any]:
        # Options added after the first release appear only when given: the settings of a
        # request without them (and so its derived seed) stay what they were.
        found: dict[str, Any] = {}
        if self.contest_type != CLASSIC:
            found["contest_type"] = self.contest_type
        if self.team_exposure:
            rules = {team: dict(sorted(rule.items())) for team, rule in self.team_exposure.items()}
            found["team_exposure"] = dict(sorted(rules.items()))
        if self.captain_with is not None:
            found["captain_with"] = self.captain_with
        if self.team_stack:
            found["team_stack"] = sorted(self.team_stack, reverse=True)
        if self.avoid_opposing:
            found["avoid_opposing"] = True
        if self.contest:
            found["contest"] = _contest_settings(self.contest)
        return found


def _contest_settings(contest: Mapping[str, Any]) -> dict[str, Any]:
    """The contest as settings: the given field as its size (it may hold 500,000 entries)."""
    shown = {k: v for k, v in sorted(contest.items()) if k != "field_lineups"}
    if contest.get("field_lineups") is not None:
        shown["field_lineups"] = len(contest["field_lineups"])
    return shown


OPTION_NAMES = tuple(option.name for option in fields(OptimizeOptions))


def options_in(data: Mapping[str, Any]) -> dict[str, Any]:
    """The entries of `data` (a checked request, a stored job input) that are options."""
    return {name: data[name] for name in OPTION_NAMES if name in data}
