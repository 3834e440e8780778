"""Candidate lineups for simulation: the exact best lineup of individual scenarios.

Candidate 0 is the best lineup by projection; candidate k (k >= 1) is the best lineup in
scenario k-1, for the first `candidate_count` scenarios of the seeded stream. Each is solved
exactly under the request's locks, excludes and stack, so every candidate is strong in at
least one plausible outcome, and together they vary the way outcomes do. Duplicates are
dropped, keeping the first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from webapp.optimizer.bounds import BoundsModel
from webapp.optimizer.search import LineupSearch
from webapp.optimizer.slate import Slate

CANDIDATES_PER_LINEUP = 2  # scenarios solved per requested lineup
MIN_CANDIDATES = 30
MAX_CANDIDATES = 300
SCENARIO_GAP_SHARE = 0.01


def candidate_count(n_lineups: int, n_scenarios: int) -> int:
    """How many scenarios are solved for candidates."""
    wanted = max(MIN_CANDIDATES, CANDIDATES_PER_LINEUP * n_lineups)
    return min(n_scenarios, MAX_CANDIDATES, wanted)


def best_lineup(
    slate: Slate, values: np.ndarray, bounds_model: BoundsModel, forbidden: Sequence[int]
) -> list[int] | None:
    """The exact best lineup for these objective values (None if none exists)."""
    # One lineup per search: tight floors pay off only across a sequence of lineups, and a
    # scenario's optimum sits further below its LP value than a projection's does.
    search = LineupSearch(
        slate, values, bounds_model, first_gap_share=SCENARIO_GAP_SHARE, tight_floors=False
    )
    for i in forbidden:
        search.forbid(i)
    return search.next()


def build_candidates(
    slate: Slate,
    rows: np.ndarray,
    forbidden: Sequence[int],
    done: list[list[int]],
    on_candidate: Callable[[list[list[int]]], None],
) -> list[list[int]]:
    """Extend `done` (candidates found by an earlier run) to one per row plus the projection
    candidate; `on_candidate` sees the list after each new one."""
    bounds_model = BoundsModel(slate)
    candidates = list(done)
    sources = [slate.projections, *rows]
    for values in sources[len(candidates) :]:
        lineup = best_lineup(slate, slate.scaled(values), bounds_model, forbidden)
        candidates.append(sorted(lineup) if lineup is not None else [])
        on_candidate(candidates)
    return candidates


def distinct(candidates: Sequence[Sequence[int]]) -> list[list[int]]:
    """Candidates without repeats or empties, first occurrence kept."""
    seen: set[tuple[int, ...]] = set()
    unique = []
    for lineup in candidates:
        key = tuple(sorted(lineup))
        if key and key not in seen:
            seen.add(key)
            unique.append(list(key))
    return unique
