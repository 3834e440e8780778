"""What a request asks of the optimizer, with the bounds the web layer's schema mirrors.

Options (every field of `OptimizeOptions`):

- `sport`: "nfl" or "nba" (a key of `RULES`). DraftKings Classic rules.
- `n_lineups`: how many lineups to return, `MIN_LINEUPS`..`MAX_LINEUPS` (default 1).
- `n_scenarios`: simulated outcomes, 0..`MAX_SCENARIOS` (default 1000). 0 means plain
  projections: the n best lineups by projection, solved exactly. Above 0, candidate lineups are
  built from scenarios and chosen by `selection`.
- `seed`: seed of the simulation (0..`MAX_SEED`). None derives one from the request itself (a
  hash of players and options), so equal requests still give equal results; the seed used is
  reported in the result's `settings`.
- `min_unique`: each lineup differs from every earlier one by at least this many players,
  1..roster size (default 1).
- `locks`: player ids in every lineup (at most a roster's worth). `excludes`: ids never used.
- `max_exposure`: largest fraction of the lineups any one player may appear in, 0 < x <= 1
  (default 1.0); a player may appear in floor(x * n_lineups) lineups, at least one.
  `exposure`: per-player overrides {id: fraction in 0..1}; 0 keeps the player out. Locked
  players are in every lineup whatever their exposure.
- `min_exposure`: per-player floors {id: fraction in 0..1}: the player is in at least
  ceil(fraction * n_lineups) lineups (dropped with a warning when that cannot be met).
- `correlation`: loadings by position overriding the factor model's defaults,
  {position: {factor: loading}}; factors and defaults in correlation.py.
- `threads`: solver threads for simulation candidates (None: the CPU count). Does not
  change the result.
- `stack`: NFL only, optional `{"qb_with": k, "bring_back": b}`: every lineup's QB comes with
  at least k (1..4) WR/TE of his team and b (0..2) RB/WR/TE of the opposing team.
- `selection`: how lineups are chosen from scenario candidates: "mean" (default, highest
  simulated mean), "percentile" (highest `percentile`-th percentile of simulated points) or
  "best_frequency" (most often the best candidate in a scenario). Ignored when n_scenarios is 0.
- `percentile`: 1..99 (default 90), used by "percentile".
- `team_exposure`: team and stack exposure, {team: {"max": share, "min": share,
  "players": k}}: at most floor(max * n) and at least ceil(min * n) lineups hold k or more
  (default 1) players of the team; see teams.py.
- `time_budget_seconds`: wall-clock budget of the run (None: none). When it runs out, the
  lineups found so far are returned with a warning instead of failing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from webapp.optimizer.correlation import loading_problems
from webapp.optimizer.errors import OptimizerError
from webapp.optimizer.rules import RULES
from webapp.optimizer.teams import team_problems

MIN_LINEUPS = 1
MAX_LINEUPS = 150
DEFAULT_SCENARIOS = 1000
MAX_SCENARIOS = 100_000
MAX_SEED = 2**63 - 1
MIN_UNIQUE_DEFAULT = 1
STACK_QB_WITH = (1, 4)  # inclusive bounds of stack["qb_with"]
STACK_BRING_BACK = (0, 2)  # inclusive bounds of stack["bring_back"]
SELECTIONS = ("mean", "percentile", "best_frequency")
PERCENTILE_BOUNDS = (1.0, 99.0)
DEFAULT_PERCENTILE = 90.0


@dataclass(frozen=True)
class OptimizeOptions:
    """What a request asks of the optimizer; see the module docstring for every field."""

    sport: str = "nfl"
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
            **self._team_settings(),
        }

    def _team_settings(self) -> dict[str, Any]:
        # Only when given: the settings of a request without it (and so its derived seed)
        # stay what they were.
        if not self.team_exposure:
            return {}
        rules = {team: dict(sorted(rule.items())) for team, rule in self.team_exposure.items()}
        return {"team_exposure": dict(sorted(rules.items()))}


def _in(value: Any, low: float, high: float) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and low <= value <= high


def _check_stack(options: OptimizeOptions) -> list[str]:
    if not options.stack:
        return []
    if not RULES[options.sport].stack_anchor:
        return [f"stacks are not available for {options.sport}"]
    unknown = sorted(set(options.stack) - {"qb_with", "bring_back"})
    qb_with = options.stack.get("qb_with", 1)
    bring_back = options.stack.get("bring_back", 0)
    problems = [f"unknown stack fields {unknown}"] if unknown else []
    if not _in(qb_with, *STACK_QB_WITH) or int(qb_with) != qb_with:
        problems.append(f"stack qb_with must be an integer in {STACK_QB_WITH}")
    if not _in(bring_back, *STACK_BRING_BACK) or int(bring_back) != bring_back:
        problems.append(f"stack bring_back must be an integer in {STACK_BRING_BACK}")
    return problems


def _problems(options: OptimizeOptions) -> list[str]:
    size = RULES[options.sport].size
    checks = [
        (_in(options.n_lineups, MIN_LINEUPS, MAX_LINEUPS), f"n_lineups in 1..{MAX_LINEUPS}"),
        (_in(options.n_scenarios, 0, MAX_SCENARIOS), f"n_scenarios in 0..{MAX_SCENARIOS}"),
        (options.seed is None or _in(options.seed, 0, MAX_SEED), "seed in 0..2**63-1"),
        (_in(options.min_unique, 1, size), f"min_unique in 1..{size}"),
        (_in(options.max_exposure, 1e-12, 1.0), "max_exposure in (0, 1]"),
        (all(_in(v, 0.0, 1.0) for v in options.exposure.values()), "exposure values in 0..1"),
        (
            all(_in(v, 0.0, 1.0) for v in options.min_exposure.values()),
            "min_exposure values in 0..1",
        ),
        (options.threads is None or _in(options.threads, 1, 256), "threads in 1..256"),
        (options.selection in SELECTIONS, f"selection one of {SELECTIONS}"),
        (_in(options.percentile, *PERCENTILE_BOUNDS), "percentile in 1..99"),
        (len(set(options.locks)) <= size, f"at most {size} locks"),
        (
            options.time_budget_seconds is None or _in(options.time_budget_seconds, 0.001, 1e6),
            "time_budget_seconds in 0.001..1e6",
        ),
    ]
    problems = [f"expected {what}" for ok, what in checks if not ok] + _check_stack(options)
    problems += team_problems(options.team_exposure, size)
    return problems + loading_problems(options.correlation, options.sport)


def check_options(options: OptimizeOptions) -> None:
    """Raise OptimizerError naming every option out of its bounds."""
    if options.sport not in RULES:
        raise OptimizerError(f"unknown sport {options.sport!r}; expected one of {sorted(RULES)}")
    problems = _problems(options)
    overlap = sorted(set(options.locks) & set(options.excludes))
    if overlap:
        problems.append(f"players both locked and excluded: {overlap}")
    if problems:
        raise OptimizerError("invalid options: " + "; ".join(problems))
