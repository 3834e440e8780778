"""Players as the optimizer sees them, and the checks a request's player list must pass."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from webapp.optimizer.rules import CLASSIC, GAME_TYPES, GameType


@dataclass(frozen=True)
class Player:
    """One player of a slate (in showdown: one row of a player, a CPT or a FLEX/UTIL row)."""

    id: str
    name: str
    positions: tuple[str, ...]
    salary: int
    team: str
    opponent: str
    projection: float
    stdev: float | None = None
    roster_position: str | None = None  # showdown: the slot kind this row fills

    @property
    def game(self) -> tuple[str, str]:
        """The game, as the sorted pair of teams playing it."""
        a, b = sorted((self.team, self.opponent))
        return (a, b)

    @property
    def person(self) -> tuple[str, str]:
        """Who the row is: in showdown a player's CPT and FLEX/UTIL rows share it."""
        return (self.name, self.team)


def to_players(raw: Sequence[Mapping[str, Any]], rules: GameType | None = None) -> list[Player]:
    """Plain dicts (the request format) to Player objects, positions read as `rules` name
    them (SP as P in MLB); a roster_position is kept only where the game type reads it."""
    return [
        Player(
            id=str(p["id"]),
            name=str(p.get("name", p["id"])),
            positions=rules.canonical(p["positions"]) if rules else tuple(p["positions"]),
            salary=int(p["salary"]),
            team=str(p["team"]),
            opponent=str(p["opponent"]),
            projection=float(p["projection"]),
            stdev=None if p.get("stdev") is None else float(p["stdev"]),
            roster_position=p.get("roster_position") if rules and rules.rows_by_slot else None,
        )
        for p in raw
    ]


def _is_negative(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value < 0


def _row_problems(
    raw: Sequence[Mapping[str, Any]], rules: GameType, errors: dict[str, list[str]]
) -> None:
    """Showdown rows: each names the slot kind it fills, once per player."""
    seen: dict[tuple[Any, Any, Any], int] = {}
    kinds = sorted(rules.slot_names)
    for index, player in enumerate(raw):
        row = player.get("roster_position")
        if row not in rules.slot_names:
            errors[f"players.{index}.roster_position"] = [
                f"{rules.name} rows need a roster_position of {kinds}, got {row!r}"
            ]
            continue
        key = (player.get("name"), player.get("team"), row)
        if key in seen:
            errors[f"players.{index}.roster_position"] = [
                f"a second {row} row of {key[0]!r} ({key[1]}), first at players.{seen[key]}"
            ]
        seen.setdefault(key, index)


def check_players(
    raw: Sequence[Mapping[str, Any]], sport: str, contest_type: str = CLASSIC
) -> dict[str, list[str]]:
    """Errors keyed by field path (players.<i>.<field>): duplicate ids, positions unknown for
    the game type, negative salaries, showdown rows without their slot kind. Empty when the
    list is fine."""
    errors: dict[str, list[str]] = {}
    rules = GAME_TYPES.get((sport, contest_type))
    known = rules.positions if rules else frozenset()
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
    if rules is not None and rules.rows_by_slot:
        _row_problems(raw, rules, errors)
    return errors
