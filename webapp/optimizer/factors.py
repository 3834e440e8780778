"""How players' outcomes move together: a factor model with loadings by position.

Every player's standardised outcome is z = sum_k L_k f_k + sqrt(1 - sum_k L_k^2) e, with
independent standard normal factors f and an own shock e. The factors of one game are:

- `game`: the game's environment (pace, scoring), shared by both teams;
- the sport's team factors, one of each per team (rules.OutcomeModel.team_factors): NFL
  `pass` and `rush`, MLB `runs`, NHL `goals`; NBA has none;
- `opp_<factor>` loads on the *opposing* team's factor (a defense, a pitcher, a goalie
  suffers when the other offense produces).

Two players' correlation is the sum over shared factors of their loadings' product, so a
whole slate's correlation matrix is valid by construction and the pairs keep the values the
loadings imply (no repair step dilutes them). Players of different games are independent. The
loadings of each sport (in rules.py), the pairs they imply and why they were chosen are in
docs/optimizer.md.

Users may override loadings per position (`correlation` option: {position: {factor:
loading}}), merged over the defaults; each position's squared loadings must sum below 1.
"""

from __future__ import annotations

from collections.abc import Mapping

from webapp.optimizer.rules import GAME_TYPES, OutcomeModel

MAX_SHARED = 0.99  # largest sum of squared loadings a position may have

Loadings = Mapping[str, Mapping[str, float]]


def factors_of(outcomes: OutcomeModel) -> tuple[str, ...]:
    """The factors a sport's loadings may name."""
    own = outcomes.team_factors
    return ("game", *own, *(f"opp_{factor}" for factor in own))


# Every factor any sport knows (a request's loadings are checked against its sport's).
FACTORS = tuple(
    dict.fromkeys(f for rules in GAME_TYPES.values() for f in factors_of(rules.outcomes))
)


def loadings_for(
    outcomes: OutcomeModel, overrides: Loadings | None = None
) -> dict[str, dict[str, float]]:
    """The sport's loadings by position with the user's overrides merged in."""
    merged = {pos: dict(values) for pos, values in outcomes.loadings.items()}
    for position, values in (overrides or {}).items():
        merged.setdefault(position, {}).update(values)
    return merged


def loading_problems(overrides: Loadings | None, outcomes: OutcomeModel) -> list[str]:
    """What is wrong with user loadings (factors the sport lacks, too strong in sum)."""
    problems = []
    known = factors_of(outcomes)
    for position, values in (overrides or {}).items():
        unknown = sorted(set(values) - set(known))
        if unknown:
            problems.append(
                f"correlation {position}: unknown factors {unknown}; this sport has {list(known)}"
            )
        if any(not -1.0 < v < 1.0 for v in values.values()):
            problems.append(f"correlation {position}: loadings must be in (-1, 1)")
    for position, values in loadings_for(outcomes, overrides).items():
        if sum(v * v for v in values.values()) > MAX_SHARED:
            problems.append(
                f"correlation {position}: squared loadings sum above {MAX_SHARED} "
                "(no room for the player's own variation)"
            )
    return problems


def implied_correlation(
    a: Mapping[str, float],
    b: Mapping[str, float],
    same_team: bool,
    team_factors: tuple[str, ...] = ("pass", "rush"),
) -> float:
    """Correlation of two players of one game with loadings a and b."""
    total = a.get("game", 0.0) * b.get("game", 0.0)
    for factor in team_factors:
        other = f"opp_{factor}"
        if same_team:
            total += a.get(factor, 0.0) * b.get(factor, 0.0)
            total += a.get(other, 0.0) * b.get(other, 0.0)
        else:
            total += a.get(factor, 0.0) * b.get(other, 0.0)
            total += a.get(other, 0.0) * b.get(factor, 0.0)
    return total
