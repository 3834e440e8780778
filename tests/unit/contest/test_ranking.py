"""The fast ranking of our entries against a field, against a full sort of every entry."""

from __future__ import annotations

import numpy as np
import pytest

from webapp.contest.ranking import Ranker


def _reference(
    field: np.ndarray, counts: np.ndarray, ours: np.ndarray, points: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    entries = np.vstack([np.repeat(field, counts, axis=0), ours])
    wide = points.astype(np.float64)
    greater, tied = [], []
    for row in wide:
        everyone = row[entries].sum(axis=1)
        mine = row[ours].sum(axis=1)
        greater.append((everyone[None, :] > mine[:, None]).sum(axis=1))
        tied.append((everyone[None, :] == mine[:, None]).sum(axis=1))
    return np.array(greater), np.array(tied)


def _lineups(rng: np.random.Generator, count: int, players: int, size: int) -> np.ndarray:
    rows = np.array([rng.choice(players, size, replace=False) for _ in range(count)])
    return np.unique(np.sort(rows, axis=1), axis=0)


@pytest.mark.parametrize("seed", range(12))
def test_ranks_match_a_full_sort(seed: int) -> None:
    """Entries above and tied, per sim, equal a brute-force count over every entry, with
    duplicates, our lineups inside the field, players who score 0 and whole-point scores
    (many real ties)."""
    rng = np.random.default_rng(seed)
    field = _lineups(rng, int(rng.integers(1, 400)), 60, 6)
    counts = rng.integers(1, 5, len(field))
    ours = _lineups(rng, int(rng.integers(1, 20)), 60, 6)
    ours[: min(len(ours), len(field)) // 2] = field[: min(len(ours), len(field)) // 2]
    points = rng.gamma(2.0, 5.0, (40, 60)).astype(np.float32)
    points[:, rng.choice(60, 10, replace=False)] = 0.0
    if seed % 2:
        points = np.round(points)

    _, greater, tied = Ranker(field, counts, ours).rank(points)

    expected_greater, expected_tied = _reference(field, counts, ours, points)
    np.testing.assert_array_equal(greater, expected_greater)
    np.testing.assert_array_equal(tied, expected_tied)


def test_scores_equal_in_float32_are_not_a_tie() -> None:
    """Two lineups whose float32 totals round to the same number but whose exact totals
    differ are ranked apart: no tie is invented."""
    points = np.array([[100.0, 1e-6, 100.0, 2e-6]], dtype=np.float32)
    assert points[0, 0] + points[0, 1] == points[0, 2] + points[0, 3]  # equal in float32
    field, counts = np.array([[2, 3]]), np.array([1])

    _, greater, tied = Ranker(field, counts, np.array([[0, 1]])).rank(points)
    _, greater_b, tied_b = Ranker(np.array([[0, 1]]), counts, np.array([[2, 3]])).rank(points)

    assert (greater.tolist(), tied.tolist()) == ([[1]], [[1]])
    assert (greater_b.tolist(), tied_b.tolist()) == ([[0]], [[1]])


def test_lineups_with_equal_exact_totals_do_tie() -> None:
    """Different lineups whose players score the same in total tie: the tie is real."""
    points = np.array([[10.0, 0.0, 10.0, 0.0]], dtype=np.float32)

    _, greater, tied = Ranker(np.array([[2, 3]]), np.array([4]), np.array([[0, 1]])).rank(points)

    assert (greater.tolist(), tied.tolist()) == ([[0]], [[5]])
