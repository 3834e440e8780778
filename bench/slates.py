"""Seeded generator of realistic DraftKings Classic slates (players in the request format).

Usage: python bench/slates.py --sport nfl --seed 1 --out nfl.json
NFL: 12 games, ~460 players (QB, RB, WR, TE, DST; salaries 2,000-10,000, DST 2,000-5,000;
projections rising with salary, some backups projected low). NFL players have one position.
NBA: 8 games, 256 players, many with two positions (e.g. ["PG", "SG"]).
The same seed always gives the same slate.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

# position: (players per team, salary low, salary high, points per 1,000 salary, stdev share)
NFL = {
    "QB": (3, 4500, 8500, 2.75, 0.30),
    "RB": (5, 4000, 9500, 2.45, 0.40),
    "WR": (7, 3000, 9800, 2.35, 0.45),
    "TE": (3, 2500, 7500, 2.10, 0.45),
    "DST": (1, 2000, 5000, 2.00, 0.55),
}
NBA_POSITIONS = [
    ["PG"],
    ["SG"],
    ["SF"],
    ["PF"],
    ["C"],
    ["PG", "SG"],
    ["SF", "PF"],
    ["PF", "C"],
    ["SG", "SF"],
]


def _teams(count: int) -> list[str]:
    return [f"{chr(65 + i // 26)}{chr(65 + i % 26)}X" for i in range(count)]


def nfl_slate(seed: int = 1, games: int = 12) -> list[dict]:
    """About 460 players over `games` games."""
    rng = random.Random(seed)
    teams = _teams(games * 2)
    players = []
    for g in range(games):
        home, away = teams[2 * g], teams[2 * g + 1]
        for team, opponent in ((home, away), (away, home)):
            for position, (count, low, high, rate, share) in NFL.items():
                for k in range(count):
                    top = high - (high - low) * k / max(count, 1)
                    salary = int(rng.uniform(low, top) // 100 * 100)
                    projection = max(0.5, salary / 1000 * rate * rng.uniform(0.75, 1.25))
                    if rng.random() < 0.12:
                        projection *= 0.4  # backups and questionable players
                    players.append(
                        {
                            "id": f"{team}-{position}{k}",
                            "name": f"{team} {position} {k}",
                            "positions": [position],
                            "salary": salary,
                            "team": team,
                            "opponent": opponent,
                            "projection": round(projection, 2),
                            "stdev": round(projection * share, 2),
                        }
                    )
    return players


def nba_slate(seed: int = 1, games: int = 8, per_team: int = 16) -> list[dict]:
    """`per_team` players a team (256 over the default 8 games)."""
    rng = random.Random(seed)
    teams = _teams(games * 2)
    players = []
    for g in range(games):
        home, away = teams[2 * g], teams[2 * g + 1]
        for team, opponent in ((home, away), (away, home)):
            for k in range(per_team):
                top = max(3100, 11500 - k * 450 * 16 // per_team)
                salary = int(rng.uniform(3000, top) // 100 * 100)
                projection = max(1.0, salary / 1000 * 5.0 * rng.uniform(0.8, 1.2))
                players.append(
                    {
                        "id": f"{team}-{k}",
                        "name": f"{team} player {k}",
                        "positions": rng.choice(NBA_POSITIONS),
                        "salary": salary,
                        "team": team,
                        "opponent": opponent,
                        "projection": round(projection, 2),
                        "stdev": round(projection * 0.25, 2),
                    }
                )
    return players


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sport", choices=["nfl", "nba"], default="nfl")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    slate = nfl_slate(args.seed) if args.sport == "nfl" else nba_slate(args.seed)
    args.out.write_text(json.dumps(slate))
    print(f"{len(slate)} {args.sport} players -> {args.out}")


if __name__ == "__main__":
    main()
