"""Score candidate lineups on every selection scenario (portfolio.py chooses among them).

Scores: one matrix product per scenario batch, candidates x players (0/1) times players x
scenarios, kept as a float32 candidates x scenarios matrix (at most 4 bytes x candidates x
scenarios, held under simulation_mode.SCORE_MATRIX_BYTES = 200 MB by capping the candidates).
Statistics are taken `STATS_ROWS` candidates at a time, so their float64 working copies stay small
(two of STATS_ROWS x scenarios x 8 bytes: 13 MB at 100,000 scenarios). With one scenario
batch (scenarios.py) that bounds a run's arrays at about 4 x candidates x scenarios bytes
+ 16 MB + 13 MB; measured peak RSS growth of a 100,000-scenario, 150-lineup NFL job is in
bench/optimizer_bench.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

STATS_ROWS = 8  # candidates summarised at once


@dataclass(frozen=True)
class Scores:
    """Simulated statistics of every candidate."""

    mean: np.ndarray
    stdev: np.ndarray
    p50: np.ndarray
    p90: np.ndarray
    p99: np.ndarray
    chosen_percentile: np.ndarray
    best_frequency: np.ndarray


def incidence(lineups: Sequence[Sequence[int]], n_players: int) -> np.ndarray:
    """A candidates x players 0/1 matrix."""
    matrix = np.zeros((len(lineups), n_players), dtype=np.float32)
    for row, lineup in enumerate(lineups):
        matrix[row, list(lineup)] = 1.0
    return matrix


def score(
    lineups: Sequence[Sequence[int]],
    n_players: int,
    batches: Iterable[np.ndarray],
    n_scenarios: int,
    percentile: float,
    on_batch: Callable[[int], None] | None = None,
) -> Scores:
    """Points of every candidate in every scenario, summarised."""
    weights = incidence(lineups, n_players)
    points = np.empty((len(lineups), n_scenarios), dtype=np.float32)
    wins = np.zeros(len(lineups), dtype=np.int64)
    done = 0
    for batch in batches:
        block = weights @ batch.T
        points[:, done : done + len(batch)] = block
        # Best candidate per scenario, batch by batch: an argmax over the whole matrix would
        # copy it.
        wins += np.bincount(block.argmax(axis=0), minlength=len(lineups))
        done += len(batch)
        if on_batch is not None:
            on_batch(done)
    best = wins / n_scenarios
    stats = np.vstack([_summary(points[i : i + STATS_ROWS], percentile) for i in _chunks(points)])
    return Scores(*stats.T, best_frequency=best)


def _chunks(points: np.ndarray) -> range:
    return range(0, len(points), STATS_ROWS)


def _summary(rows: np.ndarray, percentile: float) -> np.ndarray:
    """mean, stdev, p50, p90, p99 and the chosen percentile of each row, as columns."""
    wide = rows.astype(np.float64)
    p50, p90, p99, chosen = np.percentile(wide, [50, 90, 99, percentile], axis=1)
    return np.column_stack([wide.mean(axis=1), wide.std(axis=1), p50, p90, p99, chosen])
