"""Choose n of the candidate lineups in one model (CP-SAT), not one at a time.

Maximises the sum of the chosen lineups' statistic (mean, chosen percentile or best
frequency, from selection scenarios the candidates were not built on) subject to: at most
n lineups, each player within his exposure limits (max and `min_exposure` counts), each
team within its `team_exposure` counts (teams.py), and any two chosen lineups sharing at
most size - min_unique players. Choosing more lineups
always comes first (a large weight on the count), so fewer than n come back only when the
rules allow no more; the warning then names the rule that limits the result, found by
solving again without it. Minimum exposures (players' and teams') that cannot all be met
are dropped with a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from webapp.optimizer.budget import TimeBudget
from webapp.optimizer.teams import TeamLimit, usage

logger = logging.getLogger(__name__)

SCORE_SCALE = 100  # statistic units per point in the integer objective
SELECT_TIME_LIMIT_S = 3.0  # the best portfolio found by then is kept


@dataclass
class Rules:
    """What the portfolio must obey."""

    n_lineups: int
    size: int
    min_unique: int
    max_counts: np.ndarray
    min_counts: np.ndarray
    warnings: list[str] = field(default_factory=list)
    teams: Sequence[TeamLimit] = ()


def _conflicts(incidence: np.ndarray, size: int, min_unique: int) -> dict[int, list[int]]:
    """For each candidate, the later candidates sharing too many players with it."""
    if min_unique <= 1:
        return {}
    shared = incidence @ incidence.T
    rows, cols = np.nonzero(np.triu(shared > size - min_unique, k=1))
    later: dict[int, list[int]] = {}
    for a, b in zip(rows.tolist(), cols.tolist(), strict=True):
        later.setdefault(a, []).append(b)
    return later


def incidence_lineups(incidence: np.ndarray) -> list[list[int]]:
    """The lineups (player indices) of an incidence matrix's rows."""
    return [np.flatnonzero(row).tolist() for row in incidence]


def _solve(
    incidence: np.ndarray,
    statistic: np.ndarray,
    rules: Rules,
    budget: TimeBudget,
    *,
    unique: bool = True,
    exposure: bool = True,
    minimum: bool = True,
    teams: bool = True,
) -> list[int] | None:
    model = cp_model.CpModel()
    chosen = [model.new_bool_var("") for _ in range(len(incidence))]
    model.add(sum(chosen) <= rules.n_lineups)
    conflicts = _conflicts(incidence, rules.size, rules.min_unique) if unique else {}
    for a, others in conflicts.items():
        # One row per candidate rather than one per pair: far fewer objects to build.
        model.add(sum(chosen[b] for b in others) == 0).only_enforce_if(chosen[a])
    for player in np.flatnonzero(incidence.sum(axis=0)).tolist():
        members = [chosen[c] for c in np.flatnonzero(incidence[:, player]).tolist()]
        if exposure and rules.max_counts[player] < len(members):
            model.add(sum(members) <= int(rules.max_counts[player]))
        if minimum and rules.min_counts[player] > 0:
            model.add(sum(members) >= int(rules.min_counts[player]))
    lineups = incidence_lineups(incidence) if rules.teams else []
    for limit, using in zip(rules.teams, usage(rules.teams, lineups), strict=True):
        members = [chosen[c] for c in np.flatnonzero(using).tolist()]
        if teams and limit.max_count < len(members):
            model.add(sum(members) <= limit.max_count)
        if minimum and limit.min_count > 0:
            model.add(sum(members) >= limit.min_count)
    scores = np.rint((statistic - statistic.min()) * SCORE_SCALE).astype(np.int64)
    weight = int(scores.sum()) + 1  # one more lineup beats any gain in score
    model.maximize(sum(chosen) * weight + cp_model.LinearExpr.weighted_sum(chosen, scores.tolist()))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = max(0.5, min(SELECT_TIME_LIMIT_S, budget.remaining()))
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    if status == cp_model.FEASIBLE:
        logger.info("portfolio: best selection found within the time limit kept")
    return [c for c, var in enumerate(chosen) if solver.boolean_value(var)]


def _limiting_rule(
    incidence: np.ndarray, statistic: np.ndarray, rules: Rules, budget: TimeBudget, kept: list
) -> str:
    """The first rule whose removal lets more lineups be chosen."""
    for name, relax in (
        (f"min_unique {rules.min_unique}", {"unique": False}),
        ("max_exposure / exposure limits", {"exposure": False}),
        ("team_exposure limits", {"teams": False}),
    ):
        more = _solve(incidence, statistic, rules, budget, **relax)
        if more is not None and len(more) > len(kept):
            return name + (_teams_at_max(incidence, rules, kept) if "teams" in relax else "")
    return "too few distinct candidate lineups"


def _teams_at_max(incidence: np.ndarray, rules: Rules, kept: list[int]) -> str:
    using = usage(rules.teams, incidence_lineups(incidence[kept]))
    full = [
        f"{limit.name()} at its max of {limit.max_count}"
        for limit, uses in zip(rules.teams, using, strict=True)
        if int(uses.sum()) >= limit.max_count
    ]
    return f" ({', '.join(full)})" if full else ""


def choose(
    lineups: Sequence[Sequence[int]],
    statistic: np.ndarray,
    n_players: int,
    rules: Rules,
    budget: TimeBudget,
) -> list[int]:
    """Indices of the chosen candidates, best statistic first; warnings go to rules.warnings."""
    incidence = np.zeros((len(lineups), n_players), dtype=np.int32)
    for row, lineup in enumerate(lineups):
        incidence[row, list(lineup)] = 1
    kept = _solve(incidence, statistic, rules, budget)
    if kept is None and (rules.min_counts.any() or any(t.min_count for t in rules.teams)):
        rules.warnings.append(
            "the minimum exposures (min_exposure, team_exposure min) cannot all be met; "
            "they were left out"
        )
        kept = _solve(incidence, statistic, rules, budget, minimum=False)
    kept = kept or []
    if 0 < len(kept) < rules.n_lineups:
        limit = _limiting_rule(incidence, statistic, rules, budget, kept)
        rules.warnings.append(
            f"only {len(kept)} lineups could be chosen ({rules.n_lineups} asked): "
            f"limited by {limit}"
        )
    return sorted(kept, key=lambda c: (-statistic[c], c))
