"""What a slate is at a glance: its games and when they lock."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any


def summarize(players: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """{"players", "games", "first_lock", "last_lock"} (locks None when no game time is known)."""
    games = {tuple(sorted((p["team"], p["opponent"]))) for p in players}
    times = sorted(
        {p["game_time"] for p in players if p.get("game_time")}, key=datetime.fromisoformat
    )
    return {
        "players": len(players),
        "games": len(games),
        "first_lock": times[0] if times else None,
        "last_lock": times[-1] if times else None,
    }
