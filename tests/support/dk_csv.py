"""DraftKings salary CSVs for tests: a seeded real-size slate written in DraftKings' format."""

from __future__ import annotations

import csv
import io

from bench.slates import nfl_slate

HEADER = [
    "Position", "Name + ID", "Name", "ID", "Roster Position", "Salary", "Game Info",
    "TeamAbbrev", "AvgPointsPerGame",
]  # fmt: skip
# A Sunday main slate: eight early games, two at 4:05 and two at 4:25 PM Eastern.
SUNDAY_KICKOFFS = ("01:00PM",) * 8 + ("04:05PM",) * 2 + ("04:25PM",) * 2
SUNDAY = "10/13/2024"
FLEX = {"RB", "WR", "TE"}


def nfl_salary_csv(seed: int = 1, kickoffs: tuple[str, ...] = SUNDAY_KICKOFFS) -> str:
    """A DraftKings NFL salary export of len(kickoffs) games (about 38 players a game)."""
    players = nfl_slate(seed=seed, games=len(kickoffs))
    games = sorted({tuple(sorted((p["team"], p["opponent"]))) for p in players})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for number, player in enumerate(players):
        game = tuple(sorted((player["team"], player["opponent"])))
        away, home = game
        kickoff = kickoffs[games.index(game)]
        dk_id = str(30_000_000 + number)
        position = player["positions"][0]
        roster = f"{position}/FLEX" if position in FLEX else position
        writer.writerow(
            [
                position,
                f"{player['name']} ({dk_id})",
                player["name"],
                dk_id,
                roster,
                player["salary"],
                f"{away}@{home} {SUNDAY} {kickoff} ET",
                player["team"],
                player["projection"],
            ]
        )
    return out.getvalue()
