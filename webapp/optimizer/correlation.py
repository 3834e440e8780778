"""How players' outcomes move together: a factor model with documented loadings by position.

Every player's standardised outcome is z = sum_k L_k f_k + sqrt(1 - sum_k L_k^2) e, with
independent standard normal factors f and an own shock e. The factors of one game are:

- `game`: the game's environment (pace, scoring), shared by both teams;
- `pass` and `rush`: each team's passing and rushing production (one of each per team);
- `opp_pass` and `opp_rush` are loadings on the *opposing* team's pass and rush factors
  (a defense suffers when the other offense produces).

Two players' correlation is the sum over shared factors of their loadings' product, so a
whole slate's correlation matrix is valid by construction and the pairs keep the values
below (no repair step dilutes them). Players of different games are independent. Implied
same-team pairs (NFL defaults): QB-WR 0.46, QB-TE 0.37, QB-RB 0.20, WR-WR 0.29, RB-RB 0.30;
opposing: QB-DST -0.38, QB-QB 0.16, QB-WR 0.08. Same-position teammates correlate
positively here (they share their team's volume), where real data show them near zero:
the price of a model that is valid by construction. NBA players share only the game factor
(0.0625 between any two players of a game).

Users may override loadings per position (`correlation` option: {position: {factor:
loading}}), merged over these defaults; each position's squared loadings must sum below 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

FACTORS = ("game", "pass", "rush", "opp_pass", "opp_rush")
MAX_SHARED = 0.99  # largest sum of squared loadings a position may have

Loadings = Mapping[str, Mapping[str, float]]

NFL_LOADINGS: Loadings = MappingProxyType(
    {
        "QB": {"game": 0.40, "pass": 0.75, "rush": 0.10},
        "RB": {"game": 0.20, "pass": 0.10, "rush": 0.50},
        "WR": {"game": 0.20, "pass": 0.50},
        "TE": {"game": 0.15, "pass": 0.45},
        "DST": {"game": -0.35, "opp_pass": -0.30, "opp_rush": -0.15},
    }
)
NBA_LOADINGS: Loadings = MappingProxyType(
    {position: {"game": 0.25} for position in ("PG", "SG", "SF", "PF", "C")}
)
DEFAULT_LOADINGS: Mapping[str, Loadings] = MappingProxyType(
    {"nfl": NFL_LOADINGS, "nba": NBA_LOADINGS}
)


def loadings_for(sport: str, overrides: Loadings | None = None) -> dict[str, dict[str, float]]:
    """The sport's loadings by position with the user's overrides merged in."""
    merged = {pos: dict(values) for pos, values in DEFAULT_LOADINGS.get(sport, {}).items()}
    for position, values in (overrides or {}).items():
        merged.setdefault(position, {}).update(values)
    return merged


def loading_problems(overrides: Loadings | None, sport: str) -> list[str]:
    """What is wrong with user loadings (unknown factors, too strong in sum)."""
    problems = []
    for position, values in (overrides or {}).items():
        unknown = sorted(set(values) - set(FACTORS))
        if unknown:
            problems.append(f"correlation {position}: unknown factors {unknown}")
        if any(not -1.0 < v < 1.0 for v in values.values()):
            problems.append(f"correlation {position}: loadings must be in (-1, 1)")
    for position, values in loadings_for(sport, overrides).items():
        if sum(v * v for v in values.values()) > MAX_SHARED:
            problems.append(
                f"correlation {position}: squared loadings sum above {MAX_SHARED} "
                "(no room for the player's own variation)"
            )
    return problems


def implied_correlation(a: Mapping[str, float], b: Mapping[str, float], same_team: bool) -> float:
    """Correlation of two players of one game with loadings a and b."""
    total = a.get("game", 0.0) * b.get("game", 0.0)
    if same_team:
        for factor in ("pass", "rush", "opp_pass", "opp_rush"):
            total += a.get(factor, 0.0) * b.get(factor, 0.0)
    else:
        total += a.get("pass", 0.0) * b.get("opp_pass", 0.0)
        total += a.get("rush", 0.0) * b.get("opp_rush", 0.0)
        total += a.get("opp_pass", 0.0) * b.get("pass", 0.0)
        total += a.get("opp_rush", 0.0) * b.get("rush", 0.0)
    return total
