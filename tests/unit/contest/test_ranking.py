"""The fast ranking of our entries against a field, against a full sort of every entry."""

from __future__ import annotations

import numpy as np
import pytest

from webapp.contest.ranking import Ranker, relative_error


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


@pytest.mark.parametrize("seed", range(6))
def test_totals_a_rounding_apart_are_ranked_exactly(seed: int) -> None:
    """Field lineups that differ from ours by one player scoring a float32 step more or less
    (totals within rounding of ours, on both sides, some exactly equal) are counted exactly."""
    rng = np.random.default_rng(seed)
    size, sims = 9, 16
    ours = np.arange(size)[None, :]
    base = rng.gamma(2.0, 8.0, (sims, size)).astype(np.float32)
    steps = rng.integers(-2, 3, (sims, 40))  # float32 steps from the player replaced
    replaced = rng.integers(0, size, 40)
    twins = np.empty((sims, 40), dtype=np.float32)
    for s in range(sims):
        for t in range(40):
            value = base[s, replaced[t]]
            for _ in range(abs(int(steps[s, t]))):
                value = np.nextafter(value, np.float32(np.inf if steps[s, t] > 0 else 0))
            twins[s, t] = value
    points = np.concatenate([base, twins], axis=1)
    field = np.array(
        [sorted({*range(size)} - {int(r)} | {size + t}) for t, r in enumerate(replaced)]
    )
    counts = rng.integers(1, 4, len(field))

    _, greater, tied = Ranker(field, counts, ours).rank(points)

    expected_greater, expected_tied = _reference(field, counts, ours, points)
    np.testing.assert_array_equal(greater, expected_greater)
    np.testing.assert_array_equal(tied, expected_tied)


@pytest.mark.parametrize("size", [2, 8, 9])
def test_float32_totals_stay_within_the_tolerance(size: int) -> None:
    """A float32 total, summed as the ranking sums it, is within half the tolerance of its
    exact total, for points of very different sizes (the bound the ranking relies on)."""
    rng = np.random.default_rng(size)
    scale = 10.0 ** rng.uniform(-6, 3, (200_000, size))
    points = (rng.random((200_000, size)) * scale).astype(np.float32)
    approx = points[:, 0].copy()
    for k in range(1, size):
        approx += points[:, k]
    exact = points.astype(np.float64).sum(axis=1)

    worst = float((np.abs(approx - exact) / exact).max())

    assert worst <= relative_error(size) / 2
