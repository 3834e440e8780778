"""A job's result lineups as table rows, with the names and stats of the request's players."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

STAT_NAMES = ("mean", "stdev", "p50", "p90", "p99", "best_frequency")


@dataclass(frozen=True)
class LineupPlayer:
    slot: str
    player_id: str
    name: str
    team: str
    salary: Any
    projection: Any


@dataclass(frozen=True)
class LineupView:
    number: int
    players: list[LineupPlayer]
    salary: Any
    projection: Any
    stats: dict[str, Any]


def lineup_views(job_input: dict[str, Any], result: dict[str, Any] | None) -> list[LineupView]:
    """Each lineup of `result` with its players looked up in the request's players by id
    (a slate loaded from Neo4j has no players in the request: ids are shown)."""
    if not result:
        return []
    by_id = {p.get("id"): p for p in job_input.get("players") or []}
    views = []
    for number, lineup in enumerate(result.get("lineups") or [], start=1):
        players = []
        for entry in lineup.get("players") or []:
            player = by_id.get(entry.get("id"), {})
            players.append(
                LineupPlayer(
                    slot=str(entry.get("slot", "")),
                    player_id=str(entry.get("id", "")),
                    name=str(player.get("name") or entry.get("id", "")),
                    team=str(player.get("team", "")),
                    salary=player.get("salary"),
                    projection=player.get("projection"),
                )
            )
        stats = {name: lineup.get(name) for name in STAT_NAMES if lineup.get(name) is not None}
        views.append(
            LineupView(number, players, lineup.get("salary"), lineup.get("projection"), stats)
        )
    return views
