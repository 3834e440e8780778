"""The result document: lineups in slot order, their statistics, exposures."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from webapp.optimizer.errors import OptimizerError
from webapp.optimizer.selection import Scores
from webapp.optimizer.slate import Slate
from webapp.optimizer.slot_matching import assign_slots

STAT_FIELDS = ("mean", "stdev", "p50", "p90", "p99", "best_frequency")


def lineup_document(slate: Slate, lineup: Sequence[int]) -> dict[str, Any]:
    """A lineup as {"players": [{"slot", "id"}...], "salary", "projection"} (a captain's
    points count 1.5 times)."""
    members = sorted(lineup, key=lambda i: slate.players[i].id)
    order = assign_slots([slate.eligible[i] for i in members], slate.rules.size)
    if order is None:
        raise OptimizerError("a lineup's players cannot fill the roster slots")
    chosen = [slate.players[members[k]] for k in order]
    return {
        "players": [
            {"slot": slot.name, "id": player.id}
            for slot, player in zip(slate.rules.slots, chosen, strict=True)
        ],
        "salary": sum(p.salary for p in chosen),
        "projection": round(float(slate.projections[members].sum()), 4),
    }


def add_stats(document: dict[str, Any], scores: Scores | None, candidate: int) -> None:
    """Simulated statistics of one lineup (None for each when nothing was simulated)."""
    for name in STAT_FIELDS:
        value = None if scores is None else float(getattr(scores, name)[candidate])
        document[name] = None if value is None else round(value, 4)


def exposures(slate: Slate, lineups: Sequence[Sequence[int]]) -> dict[str, float]:
    """Fraction of the lineups each used player appears in, by player id."""
    counts: dict[str, int] = {}
    for lineup in lineups:
        for i in lineup:
            player_id = slate.players[i].id
            counts[player_id] = counts.get(player_id, 0) + 1
    return {pid: round(c / len(lineups), 4) for pid, c in sorted(counts.items())} if lineups else {}
