"""Seeded generator of realistic DraftKings slates (players in the request format).

NFL: 12 games, ~460 players (QB, RB, WR, TE, DST; salaries 2,000-10,000, DST 2,000-5,000;
projections rising with salary, some backups projected low). NFL players have one position.
NBA: 8 games, 256 players, many with two positions (e.g. ["PG", "SG"]).
MLB: 10 games, ~340 players: starting and relief pitchers (SP, RP) and hitters, some with two
positions (1B/3B, 2B/SS, C/1B, ...). NHL: 8 games, ~300 players (C, LW, RW, D, G).
Showdown (NFL with K, NBA): one game, each player twice as DraftKings lists him, a CPT row at
1.5 times the salary and a FLEX/UTIL row, each with its own id.
Tied (tied_slate): 1,000 NFL players all projected alike, salaries to the dollar.
The same seed always gives the same slate.
"""

from __future__ import annotations

import random

# position: (players per team, salary low, salary high, points per 1,000 salary, stdev share)
NFL = {
    "QB": (3, 4500, 8500, 2.75, 0.30),
    "RB": (5, 4000, 9500, 2.45, 0.40),
    "WR": (7, 3000, 9800, 2.35, 0.45),
    "TE": (3, 2500, 7500, 2.10, 0.45),
    "DST": (1, 2000, 5000, 2.00, 0.55),
}
NBA_POSITIONS = [p.split("/") for p in "PG SG SF PF C PG/SG SF/PF PF/C SG/SF".split()]  # noqa: SIM905


def _matchups(games: int) -> list[tuple[str, str]]:
    """(team, opponent) for both sides of each game."""
    teams = [f"{chr(65 + i // 26)}{chr(65 + i % 26)}X" for i in range(games * 2)]
    return [pair for g in range(games) for pair in ((teams[2 * g], teams[2 * g + 1]),
                                                   (teams[2 * g + 1], teams[2 * g]))]  # fmt: skip


def _player(pid: str, name: str, positions: list, salary: int, teams: tuple, points: float,
            share: float) -> dict:  # fmt: skip
    return {"id": pid, "name": name, "positions": positions, "salary": salary, "team": teams[0],
            "opponent": teams[1], "projection": round(points, 2), "stdev": round(points * share, 2)}  # fmt: skip


def nfl_slate(seed: int = 1, games: int = 12) -> list[dict]:
    """About 460 players over `games` games."""
    rng = random.Random(seed)
    players = []
    for teams in _matchups(games):
        for position, (count, low, high, rate, share) in NFL.items():
            for k in range(count):
                top = high - (high - low) * k / max(count, 1)
                salary = int(rng.uniform(low, top) // 100 * 100)
                projection = max(0.5, salary / 1000 * rate * rng.uniform(0.75, 1.25))
                if rng.random() < 0.12:
                    projection *= 0.4  # backups and questionable players
                pid = f"{teams[0]}-{position}{k}"
                name = f"{teams[0]} {position} {k}"
                players.append(_player(pid, name, [position], salary, teams, projection, share))
    return players


def tied_slate(seed: int = 1, size: int = 1000, dollars: bool = True) -> list[dict]:
    """A degenerate NFL slate: `size` players of 16 games, every one projected 10 points (so
    every lineup ties), salaries to the dollar (or DraftKings' hundreds)."""
    base, rng = nfl_slate(seed, games=16), random.Random(seed)
    players = []
    for k in range(size):
        player = {**base[k % len(base)], "id": f"p{k}", "name": f"p{k}"}
        player.update(projection=10.0, stdev=3.0)
        if dollars:
            player["salary"] = rng.randrange(3000, 9000)
        players.append(player)
    return players


def nba_slate(seed: int = 1, games: int = 8, per_team: int = 16) -> list[dict]:
    """`per_team` players a team (256 over the default 8 games)."""
    rng = random.Random(seed)
    players = []
    for teams in _matchups(games):
        for k in range(per_team):
            top = max(3100, 11500 - k * 450 * 16 // per_team)
            salary = int(rng.uniform(3000, top) // 100 * 100)
            projection = max(1.0, salary / 1000 * 5.0 * rng.uniform(0.8, 1.2))
            positions = rng.choice(NBA_POSITIONS)
            players.append(_player(f"{teams[0]}-{k}", f"{teams[0]} player {k}", positions, salary,
                                   teams, projection, 0.25))  # fmt: skip
    return players


# position: (players per team, salary low, salary high, points per 1,000 salary, stdev share)
MLB = {
    "SP": (2, 5000, 11500, 1.75, 0.50),
    "RP": (2, 3000, 5500, 1.10, 0.70),
    "C": (2, 2300, 4800, 1.70, 0.85),
    "1B": (2, 2600, 5600, 1.80, 0.85),
    "2B": (2, 2500, 5300, 1.75, 0.85),
    "3B": (2, 2500, 5500, 1.75, 0.85),
    "SS": (2, 2500, 5400, 1.75, 0.85),
    "OF": (4, 2300, 6000, 1.80, 0.85),
}
# Hitters with a second position, by their first.
MLB_SECOND = {"C": "1B", "1B": "3B", "2B": "SS", "3B": "1B", "SS": "2B", "OF": "1B"}
NHL = {
    "C": (4, 2600, 8800, 1.15, 0.75),
    "LW": (4, 2500, 8600, 1.10, 0.75),
    "RW": (4, 2500, 8600, 1.10, 0.75),
    "D": (6, 2500, 7600, 1.05, 0.75),
    "G": (2, 7000, 8800, 1.15, 0.65),
}
NFL_SHOWDOWN = {
    "QB": (2, 6000, 12000, 1.75, 0.35),
    "RB": (4, 1000, 10500, 1.35, 0.45),
    "WR": (6, 1000, 10000, 1.35, 0.55),
    "TE": (3, 1000, 7000, 1.30, 0.55),
    "K": (1, 3800, 5000, 1.80, 0.55),
    "DST": (1, 3400, 4800, 1.60, 0.70),
}


def _team_players(rng: random.Random, teams: tuple, table: dict, prefix: str = "") -> list:
    players = []
    for position, (count, low, high, rate, share) in table.items():
        for k in range(count):
            top = high - (high - low) * k / max(count, 1)
            salary = int(rng.uniform(low, top) // 100 * 100)
            projection = max(0.5, salary / 1000 * rate * rng.uniform(0.75, 1.25))
            if rng.random() < 0.12:
                projection *= 0.4  # backups and questionable players
            pid = f"{prefix}{teams[0]}-{position}{k}"
            players.append(_player(pid, f"{teams[0]} {position} {k}", [position], salary, teams,
                                    projection, share))  # fmt: skip
    return players


def mlb_slate(seed: int = 1, games: int = 10) -> list[dict]:
    """About 34 players a game; a fifth of the hitters have a second position."""
    rng = random.Random(seed)
    players = []
    for teams in _matchups(games):
        for player in _team_players(rng, teams, MLB):
            first = player["positions"][0]
            if first in MLB_SECOND and rng.random() < 0.2:
                player["positions"] = [first, MLB_SECOND[first]]
            players.append(player)
    return players


def nhl_slate(seed: int = 1, games: int = 8) -> list[dict]:
    """20 players a team: 4 C, 4 LW, 4 RW, 6 D, 2 G."""
    rng = random.Random(seed)
    return [p for teams in _matchups(games) for p in _team_players(rng, teams, NHL)]


def showdown_slate(sport: str = "nfl", seed: int = 1) -> list[dict]:
    """One game as DraftKings lists it for Showdown Captain Mode: a CPT row (1.5 times the
    salary, the player's own projection) and a FLEX (NFL) or UTIL (NBA) row per player."""
    rng = random.Random(seed)
    if sport == "nfl":
        base = [p for teams in _matchups(1) for p in _team_players(rng, teams, NFL_SHOWDOWN)]
        flex = "FLEX"
    else:
        base = nba_slate(seed=seed, games=1, per_team=13)
        flex = "UTIL"
    rows = []
    for number, player in enumerate(base):
        for kind, salary in (("CPT", int(player["salary"] * 1.5)), (flex, player["salary"])):
            row_id = f"{kind.lower()}{number}-{player['id']}"
            rows.append({**player, "id": row_id, "salary": salary, "roster_position": kind})
    return rows


def _slot_shares(players: list[dict], sport: str, weights: list[float]) -> list[float]:
    """Ownership in percent: every roster slot's 100% shared by weight among its players."""
    from webapp.optimizer.rules import game_type

    owned = [0.0] * len(players)
    for slot in game_type(sport).slots:
        members = [i for i, p in enumerate(players) if slot.positions & set(p["positions"])]
        total = sum(weights[i] for i in members) or 1.0
        for i in members:
            owned[i] += 100.0 * weights[i] / total
    return owned


def with_ownership(
    players: list[dict], sport: str, sharpness: float = 8.0, salary: float = 49_600
) -> list[dict]:
    """The players with a projected `ownership` (percent), as DFS sites' projections look:
    every roster slot's 100% shared among the players who can fill it by projection, raised
    to `sharpness` so a few players take most of it, and tilted by salary so the lineups it
    implies average `salary` dollars (real fields use nearly all of the $50,000 cap)."""
    import math

    base = [sharpness * math.log(max(p["projection"], 0.01)) for p in players]

    def owned(tilt: float) -> list[float]:
        top = max(b - tilt * p["salary"] / 1000 for b, p in zip(base, players, strict=True))
        weights = [
            math.exp(b - tilt * p["salary"] / 1000 - top)
            for b, p in zip(base, players, strict=True)
        ]
        return _slot_shares(players, sport, weights)

    low, high = -5.0, 10.0  # bisection on the tilt: more tilt, cheaper lineups
    for _ in range(60):
        tilt = (low + high) / 2
        spent = sum(o * p["salary"] for o, p in zip(owned(tilt), players, strict=True)) / 100
        low, high = (tilt, high) if spent > salary else (low, tilt)
    shares = owned(high)
    return [{**p, "ownership": round(min(shares[i], 95.0), 2)} for i, p in enumerate(players)]
