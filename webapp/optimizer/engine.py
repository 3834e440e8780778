"""The optimize() entry point: check, solve, score, report."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np

from webapp.optimizer.errors import OptimizerError
from webapp.optimizer.feasibility import check_feasible
from webapp.optimizer.players import Player, to_players
from webapp.optimizer.rules import RULES
from webapp.optimizer.simulation import scenario_batches
from webapp.optimizer.solver import Lineup, SolverOptions, Stack, solve_lineups

Progress = Callable[[float, str], None]


class Checkpoint(Protocol):
    """Resume state of a job: small and JSON-serialisable."""

    def load(self) -> dict[str, Any] | None: ...

    def save(self, state: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class OptimizeOptions:
    """What a request asks of the optimizer (bounds are enforced by the request schema)."""

    sport: str = "nfl"
    n_lineups: int = 1
    n_scenarios: int = 1000
    seed: int | None = None
    min_unique: int = 1
    locks: Sequence[str] = ()
    excludes: Sequence[str] = ()
    max_exposure: float = 1.0
    exposure: Mapping[str, float] = field(default_factory=dict)
    stack: Mapping[str, int] | None = None


def _solver_options(options: OptimizeOptions) -> SolverOptions:
    return SolverOptions(
        n_lineups=options.n_lineups,
        min_unique=options.min_unique,
        locks=frozenset(options.locks),
        excludes=frozenset(options.excludes),
        max_exposure=options.max_exposure,
        exposure=tuple(sorted(options.exposure.items())),
        stack=Stack(**options.stack) if options.stack else None,
    )


def _lineup_document(lineup: Lineup) -> dict[str, Any]:
    return {
        "players": [{"slot": slot, "id": player.id} for slot, player in lineup.slots],
        "salary": lineup.salary,
        "projection": lineup.projection,
    }


def _score(
    players: Sequence[Player],
    lineups: Sequence[Lineup],
    options: OptimizeOptions,
    seed: int,
    progress: Progress,
) -> list[dict[str, float]]:
    """Simulated statistics of each lineup: one matrix product per scenario batch."""
    index = {p.id: i for i, p in enumerate(players)}
    incidence = np.zeros((len(players), len(lineups)), dtype=np.float32)
    for column, lineup in enumerate(lineups):
        for player_id in lineup.player_ids:
            incidence[index[player_id], column] = 1.0
    totals = []
    done = 0
    for batch in scenario_batches(players, options.sport, options.n_scenarios, seed):
        totals.append(batch @ incidence)
        done += len(batch)
        progress(0.6 + 0.35 * done / options.n_scenarios, "simulating")
    points = np.concatenate(totals).astype(np.float64)  # (scenarios, lineups)
    best = np.bincount(points.argmax(axis=1), minlength=len(lineups)) / len(points)
    p50, p90, p99 = np.percentile(points, [50, 90, 99], axis=0)
    return [
        {
            "mean": round(float(points[:, i].mean()), 3),
            "stdev": round(float(points[:, i].std()), 3),
            "p50": round(float(p50[i]), 3),
            "p90": round(float(p90[i]), 3),
            "p99": round(float(p99[i]), 3),
            "best_frequency": round(float(best[i]), 4),
        }
        for i in range(len(lineups))
    ]


def optimize(
    raw_players: Sequence[Mapping[str, Any]],
    options: OptimizeOptions,
    *,
    progress: Progress | None = None,
    checkpoint: Checkpoint | None = None,
) -> dict[str, Any]:
    """Build the lineups a request asks for; raise OptimizerError when it cannot be done."""
    report = progress or (lambda _fraction, _phase: None)
    if options.sport not in RULES:
        raise OptimizerError(f"unknown sport {options.sport!r}")
    rules = RULES[options.sport]
    players = to_players(raw_players)
    solver_options = _solver_options(options)
    check_feasible(players, rules, solver_options.locks, solver_options.excludes)
    report(0.0, "building")
    lineups = solve_lineups(
        players,
        rules,
        solver_options,
        on_lineup=lambda k: report(0.6 * k / options.n_lineups, "building"),
    )
    documents = [_lineup_document(lineup) for lineup in lineups]
    seed = options.seed if options.seed is not None else 0
    if options.n_scenarios > 0:
        for document, stats in zip(
            documents, _score(players, lineups, options, seed, report), strict=True
        ):
            document.update(stats)
    report(1.0, "selecting")
    counts: dict[str, int] = {}
    for lineup in lineups:
        for player_id in lineup.player_ids:
            counts[player_id] = counts.get(player_id, 0) + 1
    warnings = []
    if len(lineups) < options.n_lineups:
        warnings.append(
            f"only {len(lineups)} distinct lineups satisfy the constraints "
            f"({options.n_lineups} asked)"
        )
    return {
        "lineups": documents,
        "exposures": {pid: round(c / len(lineups), 4) for pid, c in sorted(counts.items())},
        "settings": {**asdict(options), "seed": seed, "method": "exact-projection"},
        "warnings": warnings,
    }
