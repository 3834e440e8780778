"""A slate prepared for solving: the usable players as arrays, plus the game type's rules.

Every rule of a lineup is stated here once, in terms every solver reads: the slots (Hall's
condition), the cap, games and teams, "at most k of these players" rows (a showdown player's two
rows, a team's hitters, a player against his own pitcher), the stack anchors and team stacks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from webapp.optimizer.players import Player
from webapp.optimizer.rules import GameType

SCALE = 1000  # objective units per fantasy point: CP-SAT optimizes integers, so
# lineups are exact for projections given to 0.001 points.


@dataclass(frozen=True)
class Stack:
    """An anchor (NFL: the QB; showdown: the captain) with `partners` players of his team and
    `bring_back` of the opposing team."""

    partners: int = 1
    bring_back: int = 0


@dataclass(frozen=True)
class StackGroup:
    """One anchor and the players that satisfy his stack."""

    anchor: int
    partners: tuple[int, ...]
    opponents: tuple[int, ...]


class Slate:
    """Players that may be used (excludes removed) with what every model of them needs.

    `team_stack` (sizes, largest first) asks every lineup for that many players of the game
    type's team-stack positions from as many different teams; `avoid_opposing` keeps the game
    type's opposing positions out of lineups holding a player they face.
    """

    def __init__(
        self,
        players: Sequence[Player],
        rules: GameType,
        locks: frozenset[str] = frozenset(),
        stack: Stack | None = None,
        *,
        team_stack: tuple[int, ...] = (),
        avoid_opposing: bool = False,
    ) -> None:
        self.players = list(players)
        self.rules = rules
        self.stack = stack
        self.team_stack = tuple(sorted(team_stack, reverse=True))
        self.avoid_opposing = avoid_opposing
        self.index = {p.id: i for i, p in enumerate(self.players)}
        self.locks = tuple(sorted(self.index[i] for i in locks if i in self.index))
        self.salaries = np.array([p.salary for p in self.players], dtype=np.int64)
        self.multipliers = np.array(
            [rules.multiplier(p.roster_position) for p in self.players], dtype=np.float64
        )
        # Points a row counts for in a lineup: the captain's row 1.5x his projection.
        self.projections = self.multipliers * np.array(
            [p.projection for p in self.players], dtype=np.float64
        )
        self.eligible = [rules.eligible_slots(p.positions, p.roster_position) for p in self.players]
        self.hall = _hall_constraints(self.eligible, rules.size)
        self.games = _groups([p.game for p in self.players])
        self.game_of = _numbering(self.games, len(self.players))
        counted = rules.team_count_positions
        self.counted_teams = _groups(
            [p.team if not counted or counted & set(p.positions) else None for p in self.players]
        )
        self.team_of = [-1] * len(self.players)  # counted team number, -1: not counted
        for number, team in enumerate(self.counted_teams):
            for i in team:
                self.team_of[i] = number
        self.person_of = _numbering(_groups([p.person for p in self.players]), len(self.players))
        self.limits = _limit_rows(self.players, rules, avoid_opposing)
        self.stacks = _stack_groups(self.players, rules, self.eligible) if stack else ()
        self.stack_teams = _team_members(self.players, rules.team_stack_positions)
        # Rules the branch and bound checks only on full lineups: CP-SAT states them instead.
        self.needs_cp_sat = bool(self.team_stack)

    def __len__(self) -> int:
        return len(self.players)

    def scaled(self, points: np.ndarray) -> np.ndarray:
        """Points per player as the integer objective coefficients the solvers use."""
        return np.rint(np.asarray(points, dtype=np.float64) * SCALE).astype(np.int64)

    @property
    def lock_ids(self) -> frozenset[str]:
        """The ids of the locked players."""
        return frozenset(self.players[i].id for i in self.locks)

    def variant(self, locks: frozenset[str], stack: Stack | None) -> Slate:
        """The same players and rules with these locks and this stack."""
        return Slate(
            self.players,
            self.rules,
            locks,
            stack,
            team_stack=self.team_stack,
            avoid_opposing=self.avoid_opposing,
        )

    def legal(self, lineup: Sequence[int]) -> bool:
        """Games, teams, stacks and team stacks of a full lineup: what a search that places
        players slot by slot leaves to the end (every solver states the limit rows)."""
        rules = self.rules
        if len({self.game_of[i] for i in lineup}) < rules.min_games:
            return False
        if rules.min_teams > 1:
            teams = {self.team_of[i] for i in lineup} - {-1}
            if len(teams) < rules.min_teams:
                return False
        members = set(lineup)
        if self.stack is not None:
            for group in self.stacks:
                if group.anchor in members and (
                    len(members.intersection(group.partners)) < self.stack.partners
                    or len(members.intersection(group.opponents)) < self.stack.bring_back
                ):
                    return False
        return self.has_team_stack(members)

    def has_team_stack(self, members: set[int]) -> bool:
        """Whether the lineup holds the team stacks asked for: its largest team counts, in
        order, reach the sizes in order."""
        if not self.team_stack:
            return True
        counts = sorted(
            (len(members.intersection(team)) for team in self.stack_teams), reverse=True
        )
        counts += [0] * len(self.team_stack)
        return all(have >= need for have, need in zip(counts, self.team_stack, strict=False))


def _hall_constraints(
    eligible: Sequence[frozenset[int]], size: int
) -> list[tuple[tuple[int, ...], int]]:
    """(players, open slots) pairs: Hall's condition for filling the slots.

    For every set S of slots that is a union of some players' eligible slots, the players
    eligible only within S may not outnumber S. With the lineup size fixed this is exactly "the
    chosen players can be assigned to distinct slots", with one boolean per player and no
    symmetric player-slot solutions. The unions are built up key by key, so there are at most
    2^(kinds of slots) of them however many position lists a slate has (MLB's multi-position
    players give some twenty lists, but seven kinds of slots). A union that splits into parts
    no player's slots cross is the sum of its parts' conditions, so only connected ones are
    kept: each pooled player then counts in a few rows, not in every union holding his slots.
    """
    groups: dict[frozenset[int], list[int]] = {}
    for index, slots in enumerate(eligible):
        groups.setdefault(slots, []).append(index)
    constraints = [(tuple(groups[frozenset()]), 0)] if frozenset() in groups else []
    keys = sorted((k for k in groups if k), key=sorted)
    unions: set[frozenset[int]] = set()
    for key in keys:
        unions |= {key} | {key | union for union in unions}
    seen: set[tuple[int, ...]] = set()
    for union in sorted(unions, key=lambda u: (len(u), sorted(u))):
        inside = [key for key in keys if key <= union]
        if len(union) >= size or not _connected(union, inside):
            continue
        members = tuple(sorted(i for key in inside for i in groups[key]))
        if len(members) > len(union) and members not in seen:
            seen.add(members)
            constraints.append((members, len(union)))
    return constraints


def _connected(union: frozenset[int], keys: Sequence[frozenset[int]]) -> bool:
    """Whether the keys within `union` cover it as one piece (joined by shared slots)."""
    reached = set(keys[0]) if keys else set()
    grew = True
    while grew:
        grew = False
        for key in keys:
            if key & reached and not key <= reached:
                reached |= key
                grew = True
    return reached == union


def _groups(keys: Sequence[object]) -> list[tuple[int, ...]]:
    """Indices grouped by equal keys (None left out), groups in the keys' sorted order."""
    found: dict[object, list[int]] = {}
    for index, key in enumerate(keys):
        if key is not None:
            found.setdefault(key, []).append(index)
    return [tuple(found[key]) for key in sorted(found)]  # type: ignore[type-var]


def _numbering(groups: Sequence[Sequence[int]], count: int) -> list[int]:
    """For each index, the number of the group holding it."""
    number = [0] * count
    for n, group in enumerate(groups):
        for i in group:
            number[i] = n
    return number


def _team_members(players: Sequence[Player], positions: frozenset[str]) -> list[tuple[int, ...]]:
    """Per team (in team order), its players of `positions`."""
    if not positions:
        return []
    return _groups([p.team if positions & set(p.positions) else None for p in players])


def _limit_rows(
    players: Sequence[Player], rules: GameType, avoid_opposing: bool
) -> tuple[tuple[tuple[int, ...], int], ...]:
    """(members, most): rows allowing at most `most` of `members` in a lineup."""
    rows: list[tuple[tuple[int, ...], int]] = []
    if rules.rows_by_slot:  # a player's CPT and FLEX/UTIL rows: one of them at most
        rows += [
            (rows_of, 1) for rows_of in _groups([p.person for p in players]) if len(rows_of) > 1
        ]
    if rules.max_from_team is not None:
        for team in _team_members(players, rules.max_from_team_positions):
            if len(team) > rules.max_from_team:
                rows.append((team, rules.max_from_team))
    if avoid_opposing:
        guards, others = rules.opposing
        for g, guard in enumerate(players):
            if guards & set(guard.positions):
                rows += [
                    ((g, o), 1)
                    for o, other in enumerate(players)
                    if other.team == guard.opponent and others & set(other.positions)
                ]
    return tuple(rows)


def _stack_groups(
    players: Sequence[Player], rules: GameType, eligible: Sequence[frozenset[int]]
) -> tuple[StackGroup, ...]:
    rule = rules.stack
    if rule is None:
        return ()
    anchor_slots = frozenset(i for i, s in enumerate(rules.slots) if s.name == rule.anchor_slot)

    def is_anchor(i: int) -> bool:
        if rule.anchor_slot is not None:
            return bool(eligible[i] & anchor_slots)
        return bool(rule.anchor_positions & set(players[i].positions))

    anchors = [i for i in range(len(players)) if is_anchor(i)]
    groups = []
    for a in anchors:
        anchor = players[a]

        def partner(i: int, team: str, positions: frozenset[str], anchor=anchor) -> bool:
            p = players[i]
            return (
                p.team == team
                and bool(positions & set(p.positions))
                and p.person != anchor.person
                and (rule.anchor_slot is None or not is_anchor(i))
            )

        partners = [
            i for i in range(len(players)) if partner(i, anchor.team, rule.partner_positions)
        ]
        opponents = [
            i for i in range(len(players)) if partner(i, anchor.opponent, rule.bring_back_positions)
        ]
        groups.append(StackGroup(a, tuple(partners), tuple(opponents)))
    return tuple(groups)
