"""The optimize() entry point: check, solve or simulate, select, report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from webapp.optimizer.bounds import BoundsModel
from webapp.optimizer.budget import BudgetSpent
from webapp.optimizer.candidates import Objective, build_candidates
from webapp.optimizer.checkpoint import Checkpoint
from webapp.optimizer.enumeration import top_lineups
from webapp.optimizer.errors import InfeasibleError, SolverLimitError
from webapp.optimizer.options import OptimizeOptions
from webapp.optimizer.portfolio import choose
from webapp.optimizer.report import add_stats, exposures, lineup_document
from webapp.optimizer.run import NO_LINEUP, Progress, Run
from webapp.optimizer.search import LineupSearch, best_lineups
from webapp.optimizer.simulation_mode import min_exposure_objectives, simulated, team_objectives


def _one_pass(run: Run) -> bool:
    """The n best lineups come from one enumeration when they need only differ by one player
    and no exposure limit below n can bind."""
    limits = run.limits[run.limits > 0]
    n = run.options.n_lineups
    teams_bind = any(team.max_count < n for team in run.teams)
    return run.options.min_unique == 1 and bool(np.all(limits >= n)) and not teams_bind


def _exact_lineups(run: Run) -> list[list[int]]:
    options, slate = run.options, run.slate
    values = slate.scaled(slate.projections)

    def on_lineup(lineups: list[list[int]], state: dict[str, float] | None = None) -> None:
        run.save(lineups=run.ids(lineups), search=state)
        run.report(len(lineups) / options.n_lineups, "building")

    if run.min_counts.any() or any(team.min_count > 0 for team in run.teams):
        return _exact_portfolio(run)
    if _one_pass(run):
        try:
            found = top_lineups(slate, values, options.n_lineups, run.forbidden, run.budget)
        except BudgetSpent:
            return []
        for count in range(1, len(found) + 1):
            on_lineup(found[:count])
        return found
    search = LineupSearch(slate, values, BoundsModel(slate), budget=run.budget)
    lineups = best_lineups(
        search,
        options.n_lineups,
        options.min_unique,
        run.limits,
        done=run.indices(run.state.get("lineups", [])),
        resume_state=run.state.get("search"),
        on_lineup=lambda lineups: on_lineup(lineups, search.state()),
        teams=run.teams,
    )
    if search.unproven:
        run.warnings.append(
            f"the solver stopped at its work limit {search.unproven} times: those lineups are "
            "the best found, not proven the best"
        )
    return lineups


def _exact(run: Run) -> tuple[list[list[int]], dict[str, Any]]:
    """The n best lineups by projection, each solved exactly."""
    run.report(0.0, "building")
    lineups = _exact_lineups(run)
    run.report(1.0, "selecting")
    documents = [lineup_document(run.slate, lineup) for lineup in lineups]
    for document in documents:
        add_stats(document, None, 0)
    return lineups, {"lineups": documents, "n_candidates": len(lineups)}


def _ignore(_solved: int, _candidates: list[list[int]]) -> None:
    """No progress is reported while a projection portfolio's candidates are built."""


def _exact_portfolio(run: Run) -> list[list[int]]:
    """With minimum exposures (players' or teams'): the best lineups by projection, plus
    each such player's or team's best lineups (and, for a team with a maximum, the best
    lineups without it), chosen as a portfolio that maximises the total projection."""
    slate, options = run.slate, run.options
    targets = [Objective(slate.projections, slate, 2 * options.n_lineups)]
    targets += min_exposure_objectives(run)
    targets += team_objectives(run, options.n_lineups)
    candidates = build_candidates(targets, run.forbidden, run.threads, run.budget, _ignore)
    totals = np.array([slate.projections[c].sum() for c in candidates], dtype=np.float64)
    rules = run.portfolio_rules()
    kept = choose(candidates, totals, len(slate), rules, run.budget)
    run.warnings.extend(rules.warnings)
    return [candidates[c] for c in kept]


def optimize(
    players: Sequence[Mapping[str, Any]],
    options: OptimizeOptions,
    *,
    progress: Progress | None = None,
    checkpoint: Checkpoint | None = None,
) -> dict[str, Any]:
    """Build the lineups a request asks for.

    `options` are taken as given (within the bounds of options.py). Raises OptimizerError for
    invalid players, InfeasibleError (a subclass) when no lineup satisfies the request, and
    SolverLimitError (another) when a work limit or the time budget ran out before any lineup.
    When fewer than n lineups exist, returns those there are and says so in "warnings".
    Exceptions raised by `progress` propagate (that is how a job is stopped); a later call
    with the same input and `checkpoint` resumes and gives the same result.
    """
    run = Run(players, options, progress, checkpoint)
    if options.n_scenarios == 0:
        lineups, result = _exact(run)
    else:
        lineups, result = simulated(run)
        run.warnings.extend(result.pop("warnings"))
    if not lineups and run.budget.spent():
        raise SolverLimitError(
            f"the time budget of {options.time_budget_seconds} s ran out before any lineup"
        )
    if not lineups:
        raise InfeasibleError(NO_LINEUP)
    warnings = run.warnings
    if run.budget.spent():
        warnings.append(
            f"the time budget of {options.time_budget_seconds} s ran out: "
            f"{len(lineups)} lineups found so far are returned ({options.n_lineups} asked)"
        )
    elif len(lineups) < options.n_lineups and not warnings:
        teams = " and team_exposure" if run.teams else ""
        warnings.append(
            f"only {len(lineups)} lineups satisfy the constraints, uniqueness and exposure"
            f"{teams} limits ({options.n_lineups} asked)"
        )
    return {
        **result,
        "exposures": exposures(run.slate, lineups),
        "settings": run.settings,
        "warnings": warnings,
    }
