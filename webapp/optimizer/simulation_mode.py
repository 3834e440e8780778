"""Simulation mode: candidates from build scenarios, chosen on other scenarios as a portfolio."""

from __future__ import annotations

from typing import Any

import numpy as np

from webapp.optimizer.budget import BudgetSpent
from webapp.optimizer.candidates import (
    Objective,
    build_candidates,
    build_rows_needed,
    objectives,
    plan_size,
    stacked_slates,
)
from webapp.optimizer.enumeration import top_lineups
from webapp.optimizer.errors import InfeasibleError
from webapp.optimizer.portfolio import choose
from webapp.optimizer.report import add_stats, lineup_document
from webapp.optimizer.run import NO_LINEUP, Run
from webapp.optimizer.scenarios import Simulator, slate_stdevs
from webapp.optimizer.selection import score

# Shares of the overall progress of a simulated run, by phase.
SIMULATING_SHARE = 0.05
BUILDING_SHARE = 0.75
BUILD_STREAM, SELECT_STREAM = 1, 0  # random streams of the run's seed
CHECKPOINT_EVERY = 5  # objectives between saved states
# Bytes the candidates x scenarios score matrix (float32) may take: at 100,000 scenarios
# that is 500 candidates; beyond it the candidates with the highest projections are kept.
SCORE_MATRIX_BYTES = 200_000_000


def min_exposure_objectives(run: Run) -> list[Objective]:
    """For each player with a minimum exposure, his best lineups by projection."""
    slate = run.slate
    found = []
    for player in np.flatnonzero(run.min_counts).tolist():
        locked = slate.variant(slate.lock_ids | {slate.players[player].id}, slate.stack)
        found.append(Objective(slate.projections, locked, int(run.min_counts[player]) + 2))
    return found


def team_objectives(run: Run, per_max: int) -> list[Objective]:
    """For each team with a minimum, its best lineups by projection that use the team; for
    each team with a maximum below n, `per_max` best lineups that do not."""
    slate, n = run.slate, run.options.n_lineups
    found = []
    for team in run.teams:
        if team.min_count > 0:
            rows = ((team.members, team.players, len(team.members)),)
            found.append(Objective(slate.projections, slate, team.min_count + 2, rows=rows))
        if team.max_count < n:
            rows = ((team.members, 0, team.players - 1),)
            found.append(Objective(slate.projections, slate, per_max, rows=rows))
    return found


def _candidates(run: Run, simulator: Simulator) -> list[list[int]]:
    """Candidates, continuing from a saved state. States hold player indices, not ids: they
    are only used by the request with the same players (checkpoint.fingerprint)."""
    options, slate = run.options, run.slate
    build = simulator.rows(build_rows_needed(options.n_lineups), run.seed, BUILD_STREAM)
    run.report(SIMULATING_SHARE, "simulating")
    sigma = slate_stdevs(slate)
    targets = objectives(
        slate,
        stacked_slates(slate),
        build,
        sigma,
        options.n_lineups,
        run.seed,
        options.min_unique,
    )
    targets += min_exposure_objectives(run)
    targets += team_objectives(run, plan_size(options.n_lineups)[1])
    done = (int(run.state.get("objectives", 0)), run.state.get("candidates", []))

    def on_objective(solved: int, candidates: list[list[int]]) -> None:
        if solved % CHECKPOINT_EVERY == 0 or solved == len(targets):
            run.save(objectives=solved, candidates=candidates)
        run.report(SIMULATING_SHARE + BUILDING_SHARE * solved / len(targets), "building")

    return build_candidates(targets, run.forbidden, run.threads, run.budget, on_objective, done)


def _bounded(run: Run, candidates: list[list[int]]) -> list[list[int]]:
    """At most as many candidates as the score matrix's memory bound allows."""
    most = max(run.options.n_lineups, SCORE_MATRIX_BYTES // (4 * run.options.n_scenarios))
    if len(candidates) <= most:
        return candidates
    totals = [float(run.slate.projections[c].sum()) for c in candidates]
    keep = sorted(range(len(candidates)), key=lambda c: (-totals[c], c))[:most]
    return [candidates[c] for c in sorted(keep)]


def simulated(run: Run) -> tuple[list[list[int]], dict[str, Any]]:
    """Candidates from build scenarios, scored on selection scenarios, chosen as a portfolio."""
    options, slate = run.options, run.slate
    try:
        first = top_lineups(slate, slate.scaled(slate.projections), 1, run.forbidden, run.budget)
    except BudgetSpent:
        return [], {"lineups": [], "n_candidates": 0, "warnings": []}
    if not first:  # an impossible request fails here, before simulating
        raise InfeasibleError(NO_LINEUP)
    run.report(0.0, "simulating")
    simulator = Simulator.for_slate(slate, options.correlation)
    candidates = _bounded(run, _candidates(run, simulator) or first)
    start = SIMULATING_SHARE + BUILDING_SHARE

    def on_batch(done: int) -> None:
        run.report(start + (1 - start) * 0.9 * done / options.n_scenarios, "selecting")

    batches = simulator.batches(options.n_scenarios, run.seed, SELECT_STREAM)
    scores = score(
        candidates, len(slate), batches, options.n_scenarios, options.percentile, on_batch
    )
    statistic = {
        "mean": scores.mean,
        "percentile": scores.chosen_percentile,
        "best_frequency": scores.best_frequency,
    }[options.selection]
    rules = run.portfolio_rules()
    kept = choose(
        candidates, np.asarray(statistic, dtype=np.float64), len(slate), rules, run.budget
    )
    documents = []
    for candidate in kept:
        document = lineup_document(slate, candidates[candidate])
        add_stats(document, scores, candidate)
        documents.append(document)
    run.report(1.0, "selecting")
    result = {"lineups": documents, "n_candidates": len(candidates), "warnings": rules.warnings}
    return [candidates[c] for c in kept], result
