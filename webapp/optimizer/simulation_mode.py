"""Simulation mode: candidates from build scenarios, chosen on other scenarios as a portfolio."""

from __future__ import annotations

import copy
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
from webapp.optimizer.portfolio import Rules, choose
from webapp.optimizer.report import add_stats, lineup_document
from webapp.optimizer.run import NO_LINEUP, Run
from webapp.optimizer.scenarios import Simulator, slate_stdevs
from webapp.optimizer.selection import score

# Shares of the overall progress of a simulated run, by phase.
SIMULATING_SHARE = 0.05
BUILDING_SHARE = 0.75
BUILD_STREAM, SELECT_STREAM = 1, 0  # random streams of the run's seed
# selection "roi": fantasy points charged per point of projected ownership (percent) in the
# leverage objectives.
LEVERAGE_CHARGES = (0.1, 0.2, 0.4)
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


def leverage_objectives(run: Run) -> list[Objective]:
    """selection "roi": the best lineups by projection minus a charge per point of projected
    ownership (LEVERAGE_CHARGES), plain and stacked: a contest pays lineups that win when the
    field's favourites do not."""
    slate = run.slate
    owned = {str(p["id"]): float(p.get("ownership") or 0.0) for p in run.raw_players}
    ownership = np.array([owned.get(p.id, 0.0) for p in slate.players])
    per = plan_size(run.options.n_lineups)[1]
    found = []
    for charge in LEVERAGE_CHARGES:
        values = np.maximum(slate.projections - charge * ownership, 0.0)
        found += [Objective(values, base, per) for base in (slate, *stacked_slates(slate))]
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
    if options.selection == "roi":
        targets += leverage_objectives(run)
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


def _roi_choice(
    run: Run, candidates: list[list[int]], rules: Rules
) -> tuple[list[int], np.ndarray]:
    """selection "roi": the portfolio by mean contest payout, priced again beside the first
    choice (webapp.contest.selection), and each candidate's payout beside it."""
    from webapp.contest.selection import ContestPricer

    options, slate = run.options, run.slate
    run.report(0.95, "simulating contests")
    pricer = ContestPricer(
        run.raw_players,
        options.sport,
        options.contest or {},
        entered=options.n_lineups,
        n_sims=options.n_scenarios,
        seed=run.seed,
        correlation=options.correlation,
    )
    lineups = pricer.lineups(run.ids(candidates))
    alone = pricer.mean_payouts(lineups)
    first = choose(candidates, alone, len(slate), copy.deepcopy(rules), run.budget)
    beside = pricer.mean_payouts(lineups, lineups[first])
    return choose(candidates, beside, len(slate), rules, run.budget), beside


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
    rules = run.portfolio_rules()
    if options.selection == "roi":
        kept, payouts = _roi_choice(run, candidates, rules)
    else:
        statistic = {
            "mean": scores.mean,
            "percentile": scores.chosen_percentile,
            "best_frequency": scores.best_frequency,
        }[options.selection]
        kept = choose(
            candidates, np.asarray(statistic, dtype=np.float64), len(slate), rules, run.budget
        )
    documents = []
    for candidate in kept:
        document = lineup_document(slate, candidates[candidate])
        add_stats(document, scores, candidate)
        if options.selection == "roi":
            fee = float(options.contest["entry_fee"])
            document["roi"] = round(100 * (float(payouts[candidate]) - fee) / fee, 4)
        documents.append(document)
    run.report(1.0, "selecting")
    result = {"lineups": documents, "n_candidates": len(candidates), "warnings": rules.warnings}
    return [candidates[c] for c in kept], result
