"""Players as the optimizer sees them, and the checks a request's player list must pass."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from webapp.optimizer.rules import valid_positions


@dataclass(frozen=True)
class Player:
    """One player of a slate."""

    id: str
    name: str
    positions: tuple[str, ...]
    salary: int
    team: str
    opponent: str
    projection: float
    stdev: float | None = None

    @property
    def game(self) -> tuple[str, str]:
        """The game, as the sorted pair of teams playing it."""
        a, b = sorted((self.team, self.opponent))
        return (a, b)


def to_players(raw: Sequence[Mapping[str, Any]]) -> list[Player]:
    """Plain dicts (the request format) to Player objects."""
    return [
        Player(
            id=str(p["id"]),
            name=str(p.get("name", p["id"])),
            positions=tuple(p["positions"]),
            salary=int(p["salary"]),
            team=str(p["team"]),
            opponent=str(p["opponent"]),
            projection=float(p["projection"]),
            stdev=None if p.get("stdev") is None else float(p["stdev"]),
        )
        for p in raw
    ]


def _is_negative(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value < 0


def check_players(raw: Sequence[Mapping[str, Any]], sport: str) -> dict[str, list[str]]:
    """Errors keyed by field path (players.<i>.<field>): duplicate ids, positions unknown for
    the sport, negative salaries. Empty when the list is fine."""
    errors: dict[str, list[str]] = {}
    known = valid_positions(sport)
    seen: dict[str, int] = {}
    for index, player in enumerate(raw):
        player_id = str(player.get("id"))
        if player_id in seen:
            errors[f"players.{index}.id"] = [
                f"duplicate id {player_id!r} (first at players.{seen[player_id]})"
            ]
        seen.setdefault(player_id, index)
        unknown = sorted(set(player.get("positions") or ()) - known)
        if unknown:
            errors[f"players.{index}.positions"] = [
                f"unknown for {sport}: {unknown}; expected some of {sorted(known)}"
            ]
        if _is_negative(player.get("salary")):
            errors[f"players.{index}.salary"] = ["must not be negative"]
    return errors
