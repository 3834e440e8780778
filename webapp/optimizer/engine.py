"""The optimize() entry point: check, solve or simulate, select, report."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from typing import Any

import numpy as np

from webapp.optimizer.bounds import BoundsModel
from webapp.optimizer.budget import BudgetSpent, TimeBudget
from webapp.optimizer.candidates import (
    best_lineup,
    build_candidates,
    candidate_count,
    distinct,
)
from webapp.optimizer.checkpoint import (
    Checkpoint,
    derived_seed,
    fingerprint,
    load_state,
    new_state,
)
from webapp.optimizer.enumeration import top_lineups
from webapp.optimizer.errors import InfeasibleError, OptimizerError
from webapp.optimizer.feasibility import check_feasible
from webapp.optimizer.options import OptimizeOptions, check_options
from webapp.optimizer.players import check_players, to_players
from webapp.optimizer.report import add_stats, exposures, lineup_document
from webapp.optimizer.rules import RULES
from webapp.optimizer.search import LineupSearch, best_lineups, exposure_limits
from webapp.optimizer.selection import choose, ranking, score
from webapp.optimizer.simulation import Simulator
from webapp.optimizer.slate import Slate, Stack

Progress = Callable[[float, str], None]

# Shares of the overall progress of a simulated run, by phase.
SIMULATING_SHARE = 0.05
BUILDING_SHARE = 0.75
CHECKPOINT_EVERY = 10  # candidates between saved states
NO_LINEUP = "no lineup satisfies the salary cap, roster slots, games and the request's constraints"


class _Run:
    """One optimize call: the prepared slate and everything derived from the request."""

    def __init__(
        self,
        raw: Sequence[Mapping[str, Any]],
        options: OptimizeOptions,
        progress: Progress | None,
        checkpoint: Checkpoint | None,
    ) -> None:
        check_options(options)
        errors = check_players(raw, options.sport)
        if errors:
            raise OptimizerError(f"invalid players: {errors}")
        rules = RULES[options.sport]
        try:
            players = to_players(raw)
        except (KeyError, TypeError, ValueError) as error:
            raise OptimizerError(f"invalid players: {error!r}") from error
        locks, excludes = frozenset(options.locks), frozenset(options.excludes)
        check_feasible(players, rules, locks, excludes)
        stack = Stack(**options.stack) if options.stack else None
        self.slate = Slate([p for p in players if p.id not in excludes], rules, locks, stack)
        self.options = options
        self.budget = TimeBudget(options.time_budget_seconds)
        self.report = progress or (lambda _fraction, _phase: None)
        self.checkpoint = checkpoint
        normalised = [asdict(p) for p in players]
        settings = options.to_settings(options.seed)
        self.seed = options.seed if options.seed is not None else derived_seed(normalised, settings)
        self.settings = options.to_settings(self.seed)
        self.digest = fingerprint(normalised, self.settings)
        self.state = load_state(checkpoint, self.digest)
        self.limits = exposure_limits(
            self.slate, options.n_lineups, options.max_exposure, dict(options.exposure)
        )

    def save(self, **fields: Any) -> None:
        if self.checkpoint is not None:
            self.checkpoint.save(new_state(self.digest, **fields))

    def ids(self, lineups: Sequence[Sequence[int]]) -> list[list[str]]:
        return [[self.slate.players[i].id for i in lineup] for lineup in lineups]

    def indices(self, lineups: Sequence[Sequence[str]]) -> list[list[int]]:
        return [[self.slate.index[i] for i in lineup] for lineup in lineups]


def _one_pass(run: _Run) -> bool:
    """The n best lineups come from one enumeration when they need only differ by one player
    and no exposure limit below n can bind."""
    limits = run.limits[run.limits > 0]
    return run.options.min_unique == 1 and bool(np.all(limits >= run.options.n_lineups))


def _exact_lineups(run: _Run) -> list[list[int]]:
    options, slate = run.options, run.slate
    values = slate.scaled(slate.projections)

    def on_lineup(lineups: list[list[int]], state: dict[str, float] | None = None) -> None:
        run.save(lineups=run.ids(lineups), search=state)
        run.report(len(lineups) / options.n_lineups, "building")

    if _one_pass(run):
        forbidden = frozenset(np.flatnonzero(run.limits <= 0).tolist())
        try:
            found = top_lineups(slate, values, options.n_lineups, forbidden, run.budget)
        except BudgetSpent:
            return []
        for count in range(1, len(found) + 1):
            on_lineup(found[:count])
        return found
    search = LineupSearch(slate, values, BoundsModel(slate), budget=run.budget)
    return best_lineups(
        search,
        options.n_lineups,
        options.min_unique,
        run.limits,
        done=run.indices(run.state.get("lineups", [])),
        resume_state=run.state.get("search"),
        on_lineup=lambda lineups: on_lineup(lineups, search.state()),
    )


def _exact(run: _Run) -> tuple[list[list[int]], dict[str, Any]]:
    """The n best lineups by projection, each solved exactly."""
    run.report(0.0, "building")
    lineups = _exact_lineups(run)
    run.report(1.0, "selecting")
    documents = [lineup_document(run.slate, lineup) for lineup in lineups]
    for document in documents:
        add_stats(document, None, 0)
    return lineups, {"lineups": documents, "n_candidates": len(lineups)}


def _candidates(run: _Run, simulator: Simulator) -> list[list[int]]:
    options, slate = run.options, run.slate
    count = candidate_count(options.n_lineups, options.n_scenarios)
    forbidden = np.flatnonzero(run.limits <= 0).tolist()
    done = run.indices(run.state.get("candidates", []))
    if not done:
        # The projection candidate first: an impossible request fails here, before simulating.
        first = best_lineup(slate, slate.scaled(slate.projections), BoundsModel(slate), forbidden)
        if first is None:
            raise InfeasibleError(NO_LINEUP)
        done = [sorted(first)]
    run.report(0.0, "simulating")
    rows = simulator.first_rows(count, options.n_scenarios, run.seed)
    run.report(SIMULATING_SHARE, "simulating")

    def on_candidate(candidates: list[list[int]]) -> None:
        if len(candidates) % CHECKPOINT_EVERY == 0 or len(candidates) == count + 1:
            run.save(candidates=run.ids(candidates))
        share = SIMULATING_SHARE + BUILDING_SHARE * len(candidates) / (count + 1)
        run.report(share, "building")

    return distinct(build_candidates(slate, rows, forbidden, done, on_candidate))


def _simulated(run: _Run) -> tuple[list[list[int]], dict[str, Any]]:
    """Candidates from scenarios, scored on every scenario, chosen by the selection rule."""
    options, slate = run.options, run.slate
    simulator = Simulator(slate.players, options.sport)
    candidates = _candidates(run, simulator)
    start = SIMULATING_SHARE + BUILDING_SHARE

    def on_batch(done: int) -> None:
        run.report(start + (1 - start) * 0.95 * done / options.n_scenarios, "selecting")

    scores = score(
        candidates,
        len(slate),
        simulator.batches(options.n_scenarios, run.seed),
        options.n_scenarios,
        options.percentile,
        on_batch,
    )
    order = ranking(scores, options.selection)
    size = slate.rules.size
    kept = choose(candidates, order, options.n_lineups, size, options.min_unique, run.limits)
    documents = []
    for candidate in kept:
        document = lineup_document(slate, candidates[candidate])
        add_stats(document, scores, candidate)
        documents.append(document)
    run.report(1.0, "selecting")
    return [candidates[c] for c in kept], {"lineups": documents, "n_candidates": len(candidates)}


def optimize(
    players: Sequence[Mapping[str, Any]],
    options: OptimizeOptions,
    *,
    progress: Progress | None = None,
    checkpoint: Checkpoint | None = None,
) -> dict[str, Any]:
    """Build the lineups a request asks for.

    Raises OptimizerError for an invalid request and InfeasibleError (a subclass) when no
    lineup satisfies it. When fewer than n lineups exist, returns those there are and says so
    in "warnings". Exceptions raised by `progress` propagate (that is how a job is stopped);
    a later call with the same input and `checkpoint` resumes and gives the same result.
    """
    run = _Run(players, options, progress, checkpoint)
    if options.n_scenarios == 0:
        lineups, result = _exact(run)
    else:
        lineups, result = _simulated(run)
    if not lineups and run.budget.spent():
        raise OptimizerError(
            f"the time budget of {options.time_budget_seconds} s ran out before any lineup"
        )
    if not lineups:
        raise InfeasibleError(NO_LINEUP)
    warnings = []
    if run.budget.spent():
        warnings.append(
            f"the time budget of {options.time_budget_seconds} s ran out: "
            f"{len(lineups)} lineups found so far are returned ({options.n_lineups} asked)"
        )
    elif len(lineups) < options.n_lineups:
        warnings.append(
            f"only {len(lineups)} lineups satisfy the constraints, uniqueness and exposure "
            f"limits ({options.n_lineups} asked)"
        )
    return {
        **result,
        "exposures": exposures(run.slate, lineups),
        "settings": run.settings,
        "warnings": warnings,
    }
