"""A slate prepared for solving: the usable players as arrays, plus the roster structure."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from webapp.optimizer.players import Player
from webapp.optimizer.rules import RosterRules

SCALE = 1000  # objective units per fantasy point: CP-SAT optimizes integers, so
# lineups are exact for projections given to 0.001 points.


@dataclass(frozen=True)
class Stack:
    """QB with `qb_with` pass catchers of his team and `bring_back` opposing players."""

    qb_with: int = 1
    bring_back: int = 0


@dataclass(frozen=True)
class StackGroup:
    """One anchor (QB) and the players that satisfy his stack."""

    anchor: int
    catchers: tuple[int, ...]
    opponents: tuple[int, ...]


class Slate:
    """Players that may be used (excludes removed) with what every model of them needs."""

    def __init__(
        self,
        players: Sequence[Player],
        rules: RosterRules,
        locks: frozenset[str] = frozenset(),
        stack: Stack | None = None,
    ) -> None:
        self.players = list(players)
        self.rules = rules
        self.stack = stack
        self.index = {p.id: i for i, p in enumerate(self.players)}
        self.locks = tuple(sorted(self.index[i] for i in locks if i in self.index))
        self.salaries = np.array([p.salary for p in self.players], dtype=np.int64)
        self.projections = np.array([p.projection for p in self.players], dtype=np.float64)
        self.eligible = [rules.eligible_slots(p.positions) for p in self.players]
        self.hall = _hall_constraints(self.eligible, rules.size)
        self.games = _games(self.players)
        self.game_of = [0] * len(self.players)  # player index -> index into games
        for number, game in enumerate(self.games):
            for i in game:
                self.game_of[i] = number
        self.stacks = _stack_groups(self.players, rules) if stack else ()

    def __len__(self) -> int:
        return len(self.players)

    def scaled(self, points: np.ndarray) -> np.ndarray:
        """Points per player as the integer objective coefficients the solvers use."""
        return np.rint(np.asarray(points, dtype=np.float64) * SCALE).astype(np.int64)


def _hall_constraints(
    eligible: Sequence[frozenset[int]], size: int
) -> list[tuple[tuple[int, ...], int]]:
    """(players, open slots) pairs: Hall's condition for filling the slots.

    Players eligible for the same slots form a group; for every set of groups, the players
    chosen from them may not outnumber the slots open to them. With the lineup size fixed this
    is exactly "the chosen players can be assigned to distinct slots", with one boolean per
    player and no symmetric player-slot solutions.
    """
    groups: dict[frozenset[int], list[int]] = {}
    for index, slots in enumerate(eligible):
        groups.setdefault(slots, []).append(index)
    constraints = [(tuple(groups[frozenset()]), 0)] if frozenset() in groups else []
    keys = sorted((k for k in groups if k), key=sorted)
    for count in range(1, len(keys) + 1):
        for combo in itertools.combinations(keys, count):
            open_slots = len(frozenset().union(*combo))
            members = tuple(sorted(i for key in combo for i in groups[key]))
            if open_slots < size and len(members) > open_slots:
                constraints.append((members, open_slots))
    return constraints


def _games(players: Sequence[Player]) -> list[tuple[int, ...]]:
    games: dict[tuple[str, str], list[int]] = {}
    for index, player in enumerate(players):
        games.setdefault(player.game, []).append(index)
    return [tuple(games[key]) for key in sorted(games)]


def _stack_groups(players: Sequence[Player], rules: RosterRules) -> tuple[StackGroup, ...]:
    groups = []
    for index, player in enumerate(players):
        if rules.stack_anchor not in player.positions:
            continue
        catchers = [
            i
            for i, p in enumerate(players)
            if p.team == player.team and rules.stack_catchers & set(p.positions)
        ]
        opponents = [
            i
            for i, p in enumerate(players)
            if p.team == player.opponent and rules.stack_bring_back & set(p.positions)
        ]
        groups.append(StackGroup(index, tuple(catchers), tuple(opponents)))
    return tuple(groups)
