"""Merging a user's projections CSV into a stored slate.

Columns are found by name, case and spaces aside: a player is matched by `DK ID` (or `ID`) when
the row has one, else by `Name` and `Team` (or `TeamAbbrev`: in a showdown slate, every row of
that player); the values merged are
`Projection`, `StdDev`, `Ownership` (percent, a trailing % allowed) and `Field Projection`,
each optional (with the importer's aliases), at least one present. An empty cell leaves the
player's value as it was. Every merged player keeps the bounds of a request's players. The
report names the rows that matched nobody and the players no row gave a projection.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from webapp.api.player_schema import first_problem, player_problems
from webapp.slates.importer import OPTIONAL, PlayerBoundsError, SlateFileError

ID_COLUMNS = ("dk id", "id", "dk_id")
NAME_COLUMNS = ("name",)
TEAM_COLUMNS = ("team", "teamabbrev")
MAX_ROWS = 5000  # rows of a projections file
MAX_LISTED = 100  # unmatched rows listed in the answer; the count is always given


class ProjectionsFileError(SlateFileError):
    """The projections file cannot be read; names the line and column."""


@dataclass(frozen=True)
class Row:
    """One row of a projections file: how to find the player, what to set."""

    line: int
    player_id: str
    name: str
    team: str
    values: dict[str, float]
    columns: dict[str, str]


@dataclass
class Merge:
    """A merged slate and what the merge did."""

    players: list[dict[str, Any]]
    matched: int = 0
    unmatched: list[dict[str, Any]] = field(default_factory=list)
    unprojected: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def _find(names: Sequence[str], aliases: Sequence[str]) -> str | None:
    return next((name for name in names if _norm(name) in aliases), None)


def _columns(names: list[str]) -> dict[str, str]:
    """role -> column name; ProjectionsFileError naming what is missing."""
    found = {
        role: column
        for role, aliases in {
            "id": ID_COLUMNS,
            "name": NAME_COLUMNS,
            "team": TEAM_COLUMNS,
            **OPTIONAL,
        }.items()
        if (column := _find(names, aliases)) is not None
    }
    if "id" not in found and not {"name", "team"} <= found.keys():
        raise ProjectionsFileError(f"no DK ID column, nor Name and Team; the header has {names}", 1)
    if not found.keys() & OPTIONAL.keys():
        raise ProjectionsFileError(
            f"no Projection, StdDev, Ownership or Field Projection column; the header has {names}",
            1,
        )
    return found


def _value(raw: str, line: int, column: str) -> float:
    text = raw.strip().replace(",", "").removesuffix("%").strip()
    try:
        return float(text)
    except ValueError:
        raise ProjectionsFileError(f"{raw.strip()!r} is not a number", line, column) from None


def read_projections(text: str) -> list[Row]:
    """The rows of a projections CSV (ProjectionsFileError with line and column)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=None), skipinitialspace=True)
    try:
        names = [name.strip() for name in reader.fieldnames or ()]
    except csv.Error as error:
        raise ProjectionsFileError(f"not a CSV header: {error}", 1) from None
    reader.fieldnames = names
    columns = _columns(names)
    rows: list[Row] = []
    try:
        for raw in reader:
            if not any((v or "").strip() for v in raw.values() if isinstance(v, str)):
                continue
            if len(rows) == MAX_ROWS:
                raise ProjectionsFileError(
                    f"a projections file holds at most {MAX_ROWS} rows", reader.line_num
                )
            rows.append(_row(raw, reader.line_num, columns))
    except csv.Error as error:
        raise ProjectionsFileError(f"not a CSV row: {error}", reader.line_num + 1) from None
    if not rows:
        raise ProjectionsFileError("the file has a header but no rows", 2)
    return rows


def _row(raw: Mapping[str, str | None], line: int, columns: dict[str, str]) -> Row:
    def cell(role: str) -> str:
        return (raw.get(columns[role]) or "").strip() if role in columns else ""

    values = {role: _value(cell(role), line, columns[role]) for role in OPTIONAL if cell(role)}
    return Row(line, cell("id"), cell("name"), cell("team"), values, columns)


def merge_projections(players: Sequence[Mapping[str, Any]], rows: Sequence[Row]) -> Merge:
    """The players with the rows' values merged (PlayerBoundsError for a value out of bounds)."""
    merged = [dict(p) for p in players]
    by_id = {str(p["id"]): i for i, p in enumerate(merged)}
    by_name: dict[tuple[str, str], list[int]] = {}
    for i, player in enumerate(merged):
        by_name.setdefault((_norm(str(player["name"])), _norm(str(player["team"]))), []).append(i)
    result = Merge(merged)
    projected: set[int] = set()
    set_by: dict[int, int] = {}
    for row in rows:
        indices = _match(row, merged, by_id, by_name)
        if not indices:
            result.unmatched.append(
                {
                    "line": row.line,
                    "id": row.player_id or None,
                    "name": row.name or None,
                    "team": row.team or None,
                }
            )
            continue
        for index in indices:
            if index in set_by:
                result.warnings.append(
                    f"line {row.line}: player {merged[index]['id']} was also on line "
                    f"{set_by[index]}; the later line's values are kept"
                )
            set_by[index] = row.line
            merged[index].update(row.values)
            _check(merged[index], row)
            if "projection" in row.values:
                projected.add(index)
        result.matched += 1
    result.unprojected = [str(p["id"]) for i, p in enumerate(merged) if i not in projected]
    return result


def _match(
    row: Row,
    players: Sequence[Mapping[str, Any]],
    by_id: dict[str, int],
    by_name: dict[tuple[str, str], list[int]],
) -> list[int]:
    """The players a row sets: by id, else the one player of its name and team; in a showdown
    slate that player's rows, one per roster_position (CPT and FLEX/UTIL)."""
    if row.player_id:
        return [by_id[row.player_id]] if row.player_id in by_id else []
    found = by_name.get((_norm(row.name), _norm(row.team)), [])
    kinds = [players[i].get("roster_position") for i in found]
    if len(found) == 1 or (None not in kinds and len(set(kinds)) == len(kinds)):
        return found
    return []


def _check(player: dict[str, Any], row: Row) -> None:
    problems = player_problems(player)
    if problems:
        name, rule = first_problem(problems)
        raise PlayerBoundsError(
            f"player {player['id']}: {name} {player.get(name)!r} is out of bounds: {rule}",
            row.line,
            row.columns.get(name),
        )
