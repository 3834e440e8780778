"""DraftKings salary CSVs for tests: seeded real-size slates written in DraftKings' format."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from bench.slates import mlb_slate, nfl_slate, nhl_slate, showdown_slate

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


def with_players(text: str, count: int) -> str:
    """The salary file `text` with `count` players: its rows repeated in turn, each copy under a
    fresh DraftKings id."""
    rows = list(csv.reader(io.StringIO(text)))
    header, players = rows[0], [row for row in rows[1:] if row]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for number in range(count):
        row = list(players[number % len(players)])
        dk_id = str(40_000_000 + number)
        row[1], row[3] = f"{row[2]} ({dk_id})", dk_id
        writer.writerow(row)
    return out.getvalue()


def salary_csv(players: Sequence[dict], kickoffs: Sequence[str] = ("07:05PM",)) -> str:
    """`players` (the request format, showdown rows with their roster_position) as a DraftKings
    salary export: one row each, the games on SUNDAY at `kickoffs` in turn, projections as
    AvgPointsPerGame (a showdown CPT row lists the player's own, as DraftKings does)."""
    games = sorted({tuple(sorted((p["team"], p["opponent"]))) for p in players})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for player in players:
        away, home = game = tuple(sorted((player["team"], player["opponent"])))
        kickoff = kickoffs[games.index(game) % len(kickoffs)]
        position = "/".join(player["positions"])
        writer.writerow(
            [
                position,
                f"{player['name']} ({player['id']})",
                player["name"],
                player["id"],
                player.get("roster_position") or position,
                player["salary"],
                f"{away}@{home} {SUNDAY} {kickoff} ET",
                player["team"],
                player["projection"],
            ]
        )
    return out.getvalue()


def _numbered(players: list[dict], first: int) -> list[dict]:
    """The players under DraftKings-like numeric ids."""
    return [{**p, "id": str(first + n)} for n, p in enumerate(players)]


# (sport, contest_type) -> (players, first DraftKings id) of a seeded slate of that game type.
SLATES = {
    ("nfl", "showdown"): (lambda seed: showdown_slate("nfl", seed), 50_000_000),
    ("nba", "showdown"): (lambda seed: showdown_slate("nba", seed), 51_000_000),
    ("mlb", "classic"): (lambda seed: mlb_slate(seed, games=6), 52_000_000),
    ("nhl", "classic"): (lambda seed: nhl_slate(seed, games=5), 53_000_000),
}


def game_type_csv(
    sport: str, contest_type: str, seed: int = 1, kickoffs: Sequence[str] = ("07:05PM",)
) -> str:
    """A seeded salary file of a game type in DraftKings' format, DraftKings-like ids."""
    players, first = SLATES[(sport, contest_type)]
    return salary_csv(_numbered(players(seed), first), kickoffs)
