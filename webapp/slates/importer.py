"""Reading a DraftKings salary CSV export into players of the request format.

DraftKings exports the columns Position, Name + ID, Name, ID, Roster Position, Salary, Game Info,
TeamAbbrev and AvgPointsPerGame. `Game Info` reads "PIT@CAR 10/13/2024 01:00PM ET" (Eastern time):
each player's opponent and game time (kept as ISO 8601 UTC) come from it. A showdown file lists
each player twice, a CPT row and a FLEX (NFL) or UTIL (NBA) row with their own ids and salaries:
its Roster Position column becomes each row's `roster_position`. Optional columns that users add
are merged by row: a projection (Projection/Proj, else AvgPointsPerGame), a standard
deviation (Stdev/StdDev), an ownership (Ownership/Own, percent) and the projection the field
plays by in contests (Field Projection). Every error names its line and column.

Each player must keep the bounds of a request's players (`webapp.api.player_schema`: at most
MAX_PLAYERS of them, salaries, projections and names in range, numbers finite), so a slate that
uploads is one a request can use.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from webapp.api.player_schema import MAX_PLAYERS, first_problem, player_problems
from webapp.optimizer.rules import CLASSIC, GameType, game_type

EASTERN = ZoneInfo("America/New_York")
REQUIRED = ("Position", "Name", "ID", "Salary", "Game Info", "TeamAbbrev")
ROSTER_POSITION = "Roster Position"  # required where the game type lists rows by slot
OPTIONAL = {
    "projection": ("projection", "proj"),
    "stdev": ("stdev", "stddev", "std"),
    "ownership": ("ownership", "own"),
    "field_projection": ("field projection", "field_projection", "fieldprojection"),
}
# The column each field of a player is read from (projection, stdev, ownership: per file).
COLUMNS: dict[str, str | None] = {
    "id": "ID",
    "name": "Name",
    "positions": "Position",
    "salary": "Salary",
    "team": "TeamAbbrev",
    "opponent": "Game Info",
    "game_time": "Game Info",
    "roster_position": ROSTER_POSITION,
}
_GAME = re.compile(
    r"^\s*([A-Za-z0-9]+)@([A-Za-z0-9]+)(?:\s+(\d{2}/\d{2}/\d{4})\s+(\d{1,2}:\d{2}\s?[AP]M)\s+ET)?",
    re.IGNORECASE,
)


class SlateFileError(ValueError):
    """The file cannot be read as a slate; says which line and column and what is wrong."""

    def __init__(self, message: str, line: int | None = None, column: str | None = None) -> None:
        where = ", ".join(
            part
            for part in (f"line {line}" if line else "", f"column {column!r}" if column else "")
            if part
        )
        super().__init__(f"{where}: {message}" if where else message)
        self.line = line
        self.column = column


class TooManyPlayersError(SlateFileError):
    """The file holds more players than a request may (MAX_PLAYERS); `line` is the first row
    over the limit."""

    def __init__(self, line: int, limit: int) -> None:
        super().__init__(f"a slate holds at most {limit} players (MAX_PLAYERS)", line)
        self.limit = limit


class PlayerBoundsError(SlateFileError):
    """A row reads as a player, but one who breaks a bound of the request's players."""


@dataclass
class ParsedSlate:
    """The players of a salary file, and what was assumed while reading it."""

    players: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)


def game_time_utc(date: str, clock: str) -> str:
    """ "10/13/2024", "01:00PM" (Eastern) as ISO 8601 UTC, e.g. "2024-10-13T17:00:00Z"."""
    local = datetime.strptime(f"{date} {clock.replace(' ', '')}", "%m/%d/%Y %I:%M%p")
    utc = local.replace(tzinfo=EASTERN).astimezone(ZoneInfo("UTC"))
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def _columns(
    header: list[str], projection_column: str | None, rules: GameType | None
) -> dict[str, str]:
    names = [name.strip() for name in header]
    required = (*REQUIRED, ROSTER_POSITION) if rules and rules.rows_by_slot else REQUIRED
    missing = [c for c in required if c not in names]
    chosen: dict[str, str] = {}
    for role, aliases in OPTIONAL.items():
        found = [n for n in names if n.lower() in aliases]
        if found:
            chosen[role] = found[0]
    if projection_column:
        if projection_column not in names:
            missing.append(projection_column)
        chosen["projection"] = projection_column
    elif "projection" not in chosen and "AvgPointsPerGame" not in names:
        missing.append("AvgPointsPerGame")
    if missing:
        raise SlateFileError(f"missing columns {missing}; the header has {names}", line=1)
    return chosen


def _number(row: dict[str, str], column: str, line: int, kind: type = float) -> Any:
    raw = (row.get(column) or "").strip().replace(",", "").removesuffix("%").strip()
    try:
        return kind(raw)
    except ValueError:
        raise SlateFileError(f"{raw!r} is not a number", line, column) from None


def _game(row: dict[str, str], team: str, line: int) -> tuple[str, str | None]:
    """The opponent and the game time (None when Game Info has no time)."""
    info = row["Game Info"] or ""
    game = _GAME.match(info)
    if not game or team not in game.group(1, 2):
        raise SlateFileError(f"cannot find team {team!r} in {info!r}", line, "Game Info")
    away, home, date, clock = game.groups()
    when = None
    if date and clock:
        try:
            when = game_time_utc(date, clock)
        except ValueError:
            raise SlateFileError(f"no such date or time in {info!r}", line, "Game Info") from None
    return (home if team == away else away), when


def _positions(row: dict[str, str], rules: GameType | None, line: int) -> list[str]:
    positions = [p.strip() for p in (row["Position"] or "").split("/") if p.strip()]
    known = rules.positions if rules else None
    unknown = [p for p in positions if known is not None and p not in known]
    if not positions or unknown:
        raise SlateFileError(
            f"unknown position(s) {unknown or positions} for {rules.sport if rules else None}; "
            f"expected some of {sorted(known or ())}",
            line,
            "Position",
        )
    return positions


def _roster_position(row: dict[str, str], rules: GameType, line: int) -> str:
    """A showdown row's slot kind (Roster Position: CPT, FLEX or UTIL)."""
    value = (row.get(ROSTER_POSITION) or "").strip()
    if value not in rules.slot_names:
        raise SlateFileError(
            f"{value!r} is not a roster position of {rules.name}; expected one of "
            f"{sorted(rules.slot_names)}",
            line,
            ROSTER_POSITION,
        )
    return value


def _check_bounds(player: dict[str, Any], line: int, columns: dict[str, str | None]) -> None:
    problems = player_problems(player)
    if problems:
        field, rule = first_problem(problems)
        shown = repr(player.get(field))
        shown = shown if len(shown) <= 40 else f"{shown[:37]}..."
        raise PlayerBoundsError(f"{field} {shown} is out of bounds: {rule}", line, columns[field])


def _player(
    row: dict[str, str],
    line: int,
    rules: GameType | None,
    chosen: dict[str, str],
    warnings: list[str],
) -> dict[str, Any]:
    player_id, name = (row["ID"] or "").strip(), (row["Name"] or "").strip()
    team = (row["TeamAbbrev"] or "").strip()
    opponent, game_time = _game(row, team, line)
    projection_column = chosen.get("projection")
    if not projection_column or not (row.get(projection_column) or "").strip():
        projection_column = "AvgPointsPerGame"
    projection = 0.0
    if (row.get(projection_column) or "").strip():
        projection = _number(row, projection_column, line)
    else:
        warnings.append(f"line {line}: {name} ({player_id}) has no projection; 0 used")
    optional = {
        role: _number(row, chosen[role], line)
        for role in ("stdev", "ownership", "field_projection")
        if role in chosen and (row.get(chosen[role]) or "").strip()
    }
    player = {
        "id": player_id,
        "name": name,
        "positions": _positions(row, rules, line),
        "salary": _number(row, "Salary", line, int),
        "team": team,
        "opponent": opponent,
        "projection": projection,
        "stdev": optional.get("stdev"),
        "ownership": optional.get("ownership"),
        "game_time": game_time,
    }
    if "field_projection" in chosen:
        player["field_projection"] = optional.get("field_projection")
    if rules is not None and rules.rows_by_slot:
        player["roster_position"] = _roster_position(row, rules, line)
    columns = {
        **COLUMNS,
        "projection": projection_column,
        "stdev": chosen.get("stdev"),
        "ownership": chosen.get("ownership"),
        "field_projection": chosen.get("field_projection"),
    }
    _check_bounds(player, line, columns)
    return player


def _check_unique(player: dict[str, Any], line: int, first_line: dict[Any, int]) -> None:
    """Each id once; in showdown each player's CPT and FLEX/UTIL row once each."""
    keys = [("ID", player["id"])]
    if "roster_position" in player:
        row = (player["name"], player["team"], player["roster_position"])
        keys.append((ROSTER_POSITION, row))
    for column, key in keys:
        if key in first_line:
            what = f"id {key!r}" if column == "ID" else f"{key[2]} row of {key[0]!r} ({key[1]})"
            raise SlateFileError(
                f"duplicate {what} (first on line {first_line[key]})", line, column
            )
        first_line[key] = line


def read_dk_csv(
    text: str,
    sport: str | None = None,
    projection_column: str | None = None,
    contest_type: str = CLASSIC,
) -> ParsedSlate:
    """The players of a DraftKings salary CSV (positions checked against the game type of
    `sport` and `contest_type` when a sport is given)."""
    rules = game_type(sport, contest_type) if sport else None
    # newline=None reads \r, \r\n and \n alike as line ends (DraftKings writes \r\n).
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=None), skipinitialspace=True)
    try:
        fieldnames = reader.fieldnames
    except csv.Error as error:
        raise SlateFileError(f"not a CSV header: {error}", line=1) from None
    if not fieldnames:
        raise SlateFileError("no header on line 1; expected DraftKings' columns", line=1)
    reader.fieldnames = [name.strip() for name in reader.fieldnames]
    chosen = _columns(list(reader.fieldnames), projection_column, rules)
    parsed = ParsedSlate(players=[])
    first_line: dict[str, int] = {}
    line = 1
    try:
        for row in reader:
            line = reader.line_num
            if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
                continue
            if len(parsed.players) == MAX_PLAYERS:
                raise TooManyPlayersError(line, MAX_PLAYERS)
            player = _player(row, line, rules, chosen, parsed.warnings)
            _check_unique(player, line, first_line)
            parsed.players.append(player)
    except csv.Error as error:
        raise SlateFileError(f"not a CSV row: {error}", line + 1) from None
    if not parsed.players:
        raise SlateFileError("the file has a header but no players", line=2)
    return parsed


def parse_dk_csv(text: str, projection_column: str = "AvgPointsPerGame") -> list[dict[str, Any]]:
    """The players of a salary file, projections from `projection_column` (for the CLI)."""
    return read_dk_csv(text, projection_column=projection_column).players
