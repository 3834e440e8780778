"""How players' outcomes move together: a documented position-pair table, not a fitted one.

NFL values follow the usual DFS findings (a QB's points ride with his pass catchers', a
defense suffers when the opposing offense scores); NBA teammates compete for the same
possessions (slightly negative), opponents share the game's pace (slightly positive).
Players of different games are independent. Pairs not listed are 0.

A whole team's worth of these pairs is not always a valid correlation matrix (a QB cannot
correlate 0.45 with seven nearly independent receivers); simulation.py repairs each game's
block to the nearest valid one, which weakens such pairs (about 0.3 on a full NFL team).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from webapp.optimizer.players import Player

# (position, position) -> correlation of two players of the same team.
NFL_SAME_TEAM: Mapping[tuple[str, str], float] = MappingProxyType(
    {
        ("QB", "WR"): 0.45,
        ("QB", "TE"): 0.35,
        ("QB", "RB"): 0.10,
        ("QB", "DST"): 0.05,
        ("RB", "RB"): -0.15,
        ("RB", "WR"): -0.05,
        ("RB", "TE"): -0.05,
        ("RB", "DST"): 0.15,
        ("WR", "WR"): 0.05,
        ("WR", "TE"): 0.0,
    }
)
# (position, position) -> correlation of two players on opposing teams.
NFL_OPPONENT: Mapping[tuple[str, str], float] = MappingProxyType(
    {
        ("QB", "QB"): 0.25,
        ("QB", "WR"): 0.15,
        ("QB", "TE"): 0.10,
        ("QB", "RB"): 0.05,
        ("WR", "WR"): 0.08,
        ("QB", "DST"): -0.35,
        ("RB", "DST"): -0.20,
        ("WR", "DST"): -0.20,
        ("TE", "DST"): -0.15,
        ("DST", "DST"): -0.05,
    }
)
NBA_SAME_TEAM = -0.05
NBA_OPPONENT = 0.06


def _lookup(table: Mapping[tuple[str, str], float], a: str, b: str) -> float:
    return table.get((a, b), table.get((b, a), 0.0))


def pair_correlation(a: Player, b: Player, sport: str) -> float:
    """Correlation of two different players' outcomes (by their first listed positions)."""
    same_team = a.team == b.team
    opponents = a.opponent == b.team or b.opponent == a.team
    if not (same_team or opponents):
        return 0.0
    if sport == "nba":
        return NBA_SAME_TEAM if same_team else NBA_OPPONENT
    if sport == "nfl":
        table = NFL_SAME_TEAM if same_team else NFL_OPPONENT
        return _lookup(table, a.positions[0], b.positions[0])
    return 0.0
