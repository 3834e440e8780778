"""Lineups people can use: the optimizer names players by id; here each gets his slate facts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# What a lineup's player carries besides his slot, in this order (game_time only when known).
PLAYER_FACTS = ("name", "positions", "team", "salary", "projection")


def describe_player(entry: Mapping[str, Any], player: Mapping[str, Any] | None) -> dict[str, Any]:
    """One lineup entry ({"slot", "id"}) with the player's facts from the slate."""
    described = {"slot": entry["slot"], "id": entry["id"]}
    if player is not None:
        described.update({name: player.get(name) for name in PLAYER_FACTS})
        if player.get("game_time"):
            described["game_time"] = player["game_time"]
    described.update({k: v for k, v in entry.items() if k not in described})
    return described


def describe_lineups(
    result: dict[str, Any], players: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The optimizer's result with every lineup player described (in place; returned)."""
    by_id = {str(p["id"]): p for p in players}
    for lineup in result.get("lineups", ()):
        lineup["players"] = [
            describe_player(entry, by_id.get(str(entry["id"]))) for entry in lineup["players"]
        ]
    return result
