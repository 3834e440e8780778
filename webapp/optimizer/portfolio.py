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

CP-SAT works to a deterministic limit (counted work, not seconds: the same request gives the
same portfolio on a busy machine) and, only when the run has a time budget, to what is left
of it. A solve stopped by either without a proof keeps the better of its best portfolio and
the greedy one (best statistic first, each candidate taken while the rules allow it), and
says so in a warning: running out of work or time never reads as "nothing can be chosen".
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
# CP-SAT deterministic seconds per selection solve (roughly a second of one core each): the
# heaviest selection measured (150 of 1,195 candidates, min_unique 3, percentile) needs 1.4.
SELECT_WORK_LIMIT = 5.0
STOPPED = "the portfolio selection stopped at its {limit} before proving its choice: "


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
) -> tuple[cp_model.CpSolverStatus, list[int] | None]:
    """The solver's status and the candidates it chose (None when it found no portfolio)."""
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
    # One worker and a work limit: the answer depends on the request alone, not on the load.
    solver.parameters.num_workers = 1
    solver.parameters.max_deterministic_time = SELECT_WORK_LIMIT
    solver.parameters.max_time_in_seconds = budget.remaining()  # inf without a time budget
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return status, None
    return status, [c for c, var in enumerate(chosen) if solver.boolean_value(var)]


class _Greedy:
    """A portfolio built greedily under the rules (maxima, min_unique), best statistic first."""

    def __init__(self, incidence: np.ndarray, rules: Rules) -> None:
        self.incidence, self.rules = incidence, rules
        self.using = usage(rules.teams, incidence_lineups(incidence))  # teams x candidates
        self.team_max = np.array([t.max_count for t in rules.teams], dtype=np.int64)
        self.counts = np.zeros(incidence.shape[1], dtype=np.int64)
        self.team_counts = np.zeros(len(rules.teams), dtype=np.int64)
        self.kept: list[int] = []

    def allows(self, c: int) -> bool:
        """Whether candidate c can join the lineups kept so far."""
        rules, row = self.rules, self.incidence[c]
        if len(self.kept) >= rules.n_lineups or c in self.kept:
            return False
        if np.any((self.counts + row > rules.max_counts) & (row > 0)):
            return False
        if np.any(self.team_counts + self.using[:, c] > self.team_max):
            return False
        most = rules.size - rules.min_unique
        return not self.kept or int((self.incidence[self.kept] @ row).max()) <= most

    def take(self, c: int) -> None:
        self.kept.append(c)
        self.counts += self.incidence[c]
        self.team_counts += self.using[:, c]

    def demands(self) -> list[tuple[np.ndarray, int]]:
        """(which candidates count, how many must be kept) for each minimum exposure."""
        rules = self.rules
        found = [
            (self.incidence[:, p] > 0, int(rules.min_counts[p]))
            for p in range(len(rules.min_counts))
            if rules.min_counts[p] > 0
        ]
        found += [
            (self.using[t], team.min_count)
            for t, team in enumerate(rules.teams)
            if team.min_count > 0
        ]
        return found

    def choose(self, order: list[int]) -> list[int]:
        """The candidates minimum exposures need, each best first, then the best of the rest."""
        for counts, need in self.demands():
            for c in order:
                if int(counts[self.kept].sum()) >= need:
                    break
                if counts[c] and self.allows(c):
                    self.take(c)
        for c in order:
            if self.allows(c):
                self.take(c)
        return self.kept

    def short_of_minimums(self) -> bool:
        """Whether some minimum exposure is not met by the lineups kept."""
        return any(int(counts[self.kept].sum()) < need for counts, need in self.demands())


def _limiting_rule(
    incidence: np.ndarray, statistic: np.ndarray, rules: Rules, budget: TimeBudget, kept: list
) -> str:
    """The first rule whose removal lets more lineups be chosen."""
    for name, relax in (
        (f"min_unique {rules.min_unique}", {"unique": False}),
        ("max_exposure / exposure limits", {"exposure": False}),
        ("team_exposure limits", {"teams": False}),
    ):
        _status, more = _solve(incidence, statistic, rules, budget, **relax)
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


def _unproven(
    incidence: np.ndarray,
    statistic: np.ndarray,
    rules: Rules,
    budget: TimeBudget,
    kept: list[int] | None,
) -> list[int]:
    """After a solve stopped without a proof: the better of its portfolio (if any) and the
    greedy one, with a warning saying which and why."""
    greedy = _Greedy(incidence, rules)
    fallback = greedy.choose(sorted(range(len(incidence)), key=lambda c: (-statistic[c], c)))
    limit = "time budget" if budget.spent() else "work limit"
    if kept is not None and (len(kept), statistic[kept].sum()) >= (
        len(fallback),
        statistic[fallback].sum(),
    ):
        rules.warnings.append(STOPPED.format(limit=limit) + "the best portfolio found is kept")
        return kept
    logger.warning("portfolio: selection stopped at its %s; chosen greedily", limit)
    rules.warnings.append(
        STOPPED.format(limit=limit)
        + "the lineups were chosen greedily, best first under the rules"
        + (" (the minimum exposures are not all met)" if greedy.short_of_minimums() else "")
    )
    return fallback


def choose(
    lineups: Sequence[Sequence[int]],
    statistic: np.ndarray,
    n_players: int,
    rules: Rules,
    budget: TimeBudget,
) -> list[int]:
    """Indices of the chosen candidates, best statistic first; warnings go to rules.warnings.
    Fewer than n (or none) only when the solver proved that the rules allow no more."""
    incidence = np.zeros((len(lineups), n_players), dtype=np.int32)
    for row, lineup in enumerate(lineups):
        incidence[row, list(lineup)] = 1
    status, kept = _solve(incidence, statistic, rules, budget)
    if status == cp_model.INFEASIBLE:  # only minimum exposures can make it so
        rules.warnings.append(
            "the minimum exposures (min_exposure, team_exposure min) cannot all be met; "
            "they were left out"
        )
        status, kept = _solve(incidence, statistic, rules, budget, minimum=False)
    if status != cp_model.OPTIMAL:
        kept = _unproven(incidence, statistic, rules, budget, kept)
    elif 0 < len(kept) < rules.n_lineups:
        limit = _limiting_rule(incidence, statistic, rules, budget, kept)
        rules.warnings.append(
            f"only {len(kept)} lineups could be chosen ({rules.n_lineups} asked): "
            f"limited by {limit}"
        )
    return sorted(kept, key=lambda c: (-statistic[c], c))
