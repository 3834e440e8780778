"""Team and stack exposure: how many of the lineups may (or must) lean on one team.

`team_exposure` maps a team to `{"max": share, "min": share, "players": k}`: a lineup *uses*
the team when it holds at least k of its players (default 1, so "any KC player"; k = 3 is a
3-man KC stack, as in the usual DFS tools' "team stack exposure"). At most
floor(max * n) and at least ceil(min * n) of the n lineups use the team. A share of 0 for
"max" keeps every lineup below k players of the team.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from webapp.optimizer.errors import OptimizerError
from webapp.optimizer.shares import fewest_lineups, whole_lineups
from webapp.optimizer.slate import Slate

MAX_TEAM_RULES = 64  # teams one request may name


@dataclass(frozen=True)
class TeamLimit:
    """One team's rule, in player indices and lineup counts."""

    team: str
    members: tuple[int, ...]  # slate indices of the team's players
    players: int  # a lineup uses the team when it holds at least this many of them
    max_count: int
    min_count: int

    def uses(self, lineup: Sequence[int]) -> bool:
        return len(set(lineup).intersection(self.members)) >= self.players

    def name(self) -> str:
        return f"team_exposure of {self.team}" + (
            f" ({self.players}+ players)" if self.players > 1 else ""
        )


def team_problems(rules: Mapping[str, Mapping[str, Any]], size: int) -> list[str]:
    """Team rules asking for more players than a lineup holds (the request schema checks the
    rest of each rule; the roster size depends on the request's sport)."""
    return [
        f"team_exposure[{team!r}] players must be at most {size}"
        for team, rule in sorted(rules.items())
        if rule.get("players", 1) > size
    ]


def team_limits(
    slate: Slate, rules: Mapping[str, Mapping[str, Any]], n_lineups: int
) -> list[TeamLimit]:
    """The rules of a request as counts over the slate's players, in team order."""
    teams: dict[str, list[int]] = {}
    for i, player in enumerate(slate.players):
        teams.setdefault(player.team, []).append(i)
    unknown = sorted(set(rules) - set(teams))
    if unknown:
        raise OptimizerError(f"team_exposure names teams not on the slate: {unknown}")
    limits = []
    for team, rule in sorted(rules.items()):
        high, low = float(rule.get("max", 1.0)), float(rule.get("min", 0.0))
        limits.append(
            TeamLimit(
                team=team,
                members=tuple(teams[team]),
                players=int(rule.get("players", 1)),
                max_count=whole_lineups(high, n_lineups),
                min_count=fewest_lineups(low, n_lineups),
            )
        )
    return limits


def usage(limits: Sequence[TeamLimit], lineups: Sequence[Sequence[int]]) -> np.ndarray:
    """uses[rule, lineup]: whether the lineup uses the rule's team."""
    uses = np.zeros((len(limits), len(lineups)), dtype=bool)
    for r, limit in enumerate(limits):
        for c, lineup in enumerate(lineups):
            uses[r, c] = limit.uses(lineup)
    return uses
