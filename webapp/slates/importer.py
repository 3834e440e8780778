"""Reading slate files: a JSON player list, or a DraftKings salary CSV export.

A DraftKings export has the columns Position, Name + ID, Name, ID, Roster Position, Salary,
Game Info, TeamAbbrev and AvgPointsPerGame; `Game Info` reads like "BUF@MIA 09/10/2023 01:00PM
ET", from which each player's opponent is taken. Projections come from a column of the file
(AvgPointsPerGame unless another is named), e.g. one a user added with their own numbers.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

_GAME = re.compile(r"^\s*([A-Za-z0-9]+)@([A-Za-z0-9]+)")
REQUIRED = ("Position", "Name", "ID", "Salary", "Game Info", "TeamAbbrev")


class SlateFileError(ValueError):
    """The file cannot be read as a slate; the message names the row and the problem."""


def parse_dk_csv(text: str, projection_column: str = "AvgPointsPerGame") -> list[dict[str, Any]]:
    """Players in the request format from a DraftKings salary CSV."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in (*REQUIRED, projection_column) if c not in (reader.fieldnames or [])]
    if missing:
        raise SlateFileError(f"missing columns: {missing}")
    return [_row(row, line, projection_column) for line, row in enumerate(reader, start=2)]


def _row(row: dict[str, str], line: int, projection_column: str) -> dict[str, Any]:
    team = row["TeamAbbrev"].strip()
    game = _GAME.match(row["Game Info"] or "")
    if not game or team not in game.groups():
        raise SlateFileError(f"row {line}: cannot find {team!r} in Game Info {row['Game Info']!r}")
    away, home = game.groups()
    try:
        salary = int(row["Salary"])
        projection = float(row[projection_column])
    except ValueError:
        raise SlateFileError(
            f"row {line}: Salary and {projection_column} must be numbers"
        ) from None
    return {
        "id": row["ID"].strip(),
        "name": row["Name"].strip(),
        "positions": [p.strip() for p in row["Position"].split("/") if p.strip()],
        "salary": salary,
        "team": team,
        "opponent": home if team == away else away,
        "projection": projection,
        "stdev": None,
    }
