"""Where each of our entries finishes in each simulated contest: how many entries score more
than it and how many tie it, counting the whole field and our other entries.

Only our entries are ranked, so the field is never sorted. Per batch of sims:

1. Field scores, approximately: float32 sums of each unique lineup's player points, gathered
   player by player (unique lineups x sims).
2. Our scores, exactly: float64 sums of the same float32 points, always in player order, so a
   field lineup that equals one of ours gets the very same number.
3. Every field score goes into one of `bins` equal bins of its sim's range (about one per
   unique lineup, at most MAX_BINS); a count of entries
   per bin (lineup counts as weights) and its suffix sums say how many field entries are
   certainly above each of our scores.
4. A float32 sum is within `relative_error` of the exact one, so only field lineups whose bin
   touches [score - tolerance, score + tolerance] of one of ours can be on either side of it:
   those few are summed exactly and compared one by one. Ties are therefore exact (equal
   float64 sums: the same lineup, or lineups that differ only in players who scored the
   same); rounding never makes one, and no tie is missed.
"""

from __future__ import annotations

import math

import numpy as np

MAX_BINS = 65536  # bins per sim of the field's score range, for the largest fields
FLOAT32_UNIT = 2.0**-24  # float32's unit roundoff
ABSOLUTE_ERROR = 1e-6  # points; the tolerance of a score of 0


def relative_error(size: int) -> float:
    """Bound on |float32 total - exact total| / exact total for lineups of `size` players,
    with the query's own rounding to float32, doubled for safety: a sequential float32 sum
    of k non-negative terms is within (k - 1) * unit roundoff of the exact sum (Higham,
    Accuracy and Stability of Numerical Algorithms, 2nd ed., section 4.2)."""
    return 2 * (size + 1) * FLOAT32_UNIT


def exact_scores(points: np.ndarray, lineups: np.ndarray) -> np.ndarray:
    """float64 totals of `lineups` (rows of player indices) in each row of `points`
    (sims x players): (sims, lineups), summed in column order."""
    wide = points.astype(np.float64)
    total = wide[:, lineups[:, 0]]
    for k in range(1, lineups.shape[1]):
        total = total + wide[:, lineups[:, k]]
    return total


def _pair_scores(points: np.ndarray, lineups: np.ndarray, sims: np.ndarray) -> np.ndarray:
    """float64 totals of lineup r in sim sims[r], summed exactly as exact_scores does."""
    wide = points.astype(np.float64)
    total = wide[sims, lineups[:, 0]]
    for k in range(1, lineups.shape[1]):
        total = total + wide[sims, lineups[:, k]]
    return total


class Ranker:
    """Ranks our entries against a fixed field, one batch of sims at a time. Its working
    arrays (unique lineups x sims) are allocated once and reused by every batch of that size."""

    def __init__(self, field: np.ndarray, counts: np.ndarray, ours: np.ndarray) -> None:
        self.field = np.ascontiguousarray(field, dtype=np.intp)
        self.columns = [np.ascontiguousarray(self.field[:, k]) for k in range(field.shape[1])]
        self.counts = np.asarray(counts, dtype=np.float64)
        self.ours = np.ascontiguousarray(ours, dtype=np.intp)
        self.bins = int(min(MAX_BINS, 2 ** math.ceil(math.log2(max(len(field), 64)))))
        self.relative_error = relative_error(self.field.shape[1])
        self._sims = 0

    def rank(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For `points` (sims x players, float32): our exact scores, and for each of our
        entries in each sim how many entries score more and how many tie it (itself
        included), all (sims, our entries)."""
        scores = exact_scores(points, self.ours)
        greater, tied = _among_ours(scores)
        if len(self.field):
            field_greater, field_tied = self._against_field(points, scores)
            greater += field_greater
            tied += field_tied
        return scores, greater, tied

    def alone(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each of our entries as if it were our only one: how many field entries score more
        and how many tie it (itself included), (sims, our entries)."""
        if not len(self.field):
            shape = (len(points), len(self.ours))
            return np.zeros(shape, dtype=np.int64), np.ones(shape, dtype=np.int64)
        greater, tied = self._against_field(points, exact_scores(points, self.ours))
        return greater, tied + 1

    def _allocate(self, sims: int) -> None:
        if sims == self._sims:
            return
        shape = (len(self.field), sims)
        self._sims = sims
        self._total = np.empty(shape, dtype=np.float32)
        self._term = np.empty(shape, dtype=np.float32)
        self._bins = np.empty(shape, dtype=np.intp)
        self._near_mask = np.empty(shape, dtype=bool)
        self._offsets = np.arange(sims, dtype=np.intp) * self.bins  # sim s: bins s*bins ...
        self._weights = np.repeat(self.counts, sims)  # in the order of the raveled bins

    def _field_scores(self, points: np.ndarray) -> np.ndarray:
        """float32 field totals, (unique lineups, sims), in the reused buffer."""
        by_player = np.ascontiguousarray(points.T)
        total, term = self._total, self._term
        np.take(by_player, self.columns[0], axis=0, out=total)
        for column in self.columns[1:]:
            np.take(by_player, column, axis=0, out=term)
            total += term
        return total

    def _against_field(
        self, points: np.ndarray, scores: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        sims, width = len(points), self.bins
        self._allocate(sims)
        approx = self._field_scores(points)
        tolerance = self.relative_error * np.abs(scores) + ABSOLUTE_ERROR
        # No total exceeds the sum of the roster-size best points of its sim.
        best = -np.partition(-points, self.field.shape[1] - 1, axis=1)[:, : self.field.shape[1]]
        top = max(float(best.sum(axis=1).max()), float((scores + tolerance).max())) + 1.0
        scale = np.float32(width / (top * 1.001))  # every score lands below bin `width`
        np.multiply(approx, scale, out=self._term)
        bins = self._bins
        np.copyto(bins, self._term, casting="unsafe")  # truncation: the floor of a positive
        bins += self._offsets
        per_bin = np.bincount(bins.ravel(), weights=self._weights, minlength=sims * width)
        up_to = per_bin.reshape(sims, width).cumsum(axis=1)  # entries in bins <= b
        low = ((scores - tolerance).astype(np.float32) * scale).astype(np.intp)
        high = ((scores + tolerance).astype(np.float32) * scale).astype(np.intp)
        greater = up_to[:, -1:] - np.take_along_axis(up_to, high, axis=1)
        extra_greater, tied = self._near(points, scores, bins, low, high)
        return np.rint(greater + extra_greater).astype(np.int64), tied

    def _near(
        self,
        points: np.ndarray,
        scores: np.ndarray,
        bins: np.ndarray,
        low: np.ndarray,
        high: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Exact comparisons of the field lineups in the bins from `low` to `high` of each of
        our scores (a few bins: as many as the tolerance spans)."""
        sims, ours = scores.shape
        base = np.arange(sims)[:, None] * self.bins
        marked = np.zeros(sims * self.bins, dtype=bool)
        for step in range(int((high - low).max()) + 1):
            marked[base + np.minimum(low + step, high)] = True
        np.take(marked, bins, out=self._near_mask)
        lineup, sim = np.nonzero(self._near_mask)
        if len(lineup) == 0:
            return np.zeros((sims, ours)), np.zeros((sims, ours), dtype=np.int64)
        keys = bins[lineup, sim]
        order = np.argsort(keys, kind="stable")
        keys, lineup, sim = keys[order], lineup[order], sim[order]
        exact = _pair_scores(points, self.field[lineup], sim)
        weight = self.counts[lineup]
        first = np.searchsorted(keys, base + low, side="left").ravel()
        lengths = np.searchsorted(keys, base + high, side="right").ravel() - first
        query = np.repeat(np.arange(sims * ours), lengths)
        member = np.repeat(first - np.cumsum(lengths) + lengths, lengths)
        member += np.arange(len(member))
        mine = scores.ravel()[query]
        size = sims * ours
        above = np.bincount(query, weights=weight[member] * (exact[member] > mine), minlength=size)
        equal = np.bincount(query, weights=weight[member] * (exact[member] == mine), minlength=size)
        return above.reshape(sims, ours), np.rint(equal.reshape(sims, ours)).astype(np.int64)


def _among_ours(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each of our entries, how many of ours score more, and how many tie (itself too)."""
    greater = (scores[:, None, :] > scores[:, :, None]).sum(axis=2)
    tied = (scores[:, None, :] == scores[:, :, None]).sum(axis=2)
    return greater.astype(np.int64), tied.astype(np.int64)
