"""Exact lineup solver: the n best distinct lineups by projection, with OR-Tools CP-SAT.

One model per request. Each player-slot pair the player may fill is a boolean; each slot takes
exactly one player, each player at most one slot; the salary cap, the minimum number of games,
locks, excludes, stacks and exposure limits are linear constraints. After each optimum a cut
forbids every lineup sharing more than `size - min_unique` players with it, and the model is
solved again, so lineup k is the best lineup that differs enough from lineups 1..k-1.
Projections are scaled to integers (hundredths) because CP-SAT optimizes over integers.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from webapp.optimizer.errors import InfeasibleError
from webapp.optimizer.players import Player
from webapp.optimizer.rules import RosterRules

SCALE = 100  # projection hundredths
# NFL pass catchers a stack may pair with their QB, and what counts for a bring-back.
_CATCHERS = frozenset({"WR", "TE"})
_BRING_BACK = frozenset({"WR", "TE", "RB"})


@dataclass(frozen=True)
class Stack:
    """QB with `qb_with` pass catchers of his team and `bring_back` opposing players."""

    qb_with: int = 1
    bring_back: int = 0


@dataclass(frozen=True)
class SolverOptions:
    """What the solver needs to know beyond the players and rules."""

    n_lineups: int = 1
    min_unique: int = 1
    locks: frozenset[str] = frozenset()
    excludes: frozenset[str] = frozenset()
    max_exposure: float = 1.0
    exposure: tuple[tuple[str, float], ...] = ()
    stack: Stack | None = None
    time_limit_s: float = 60.0
    workers: int = 2


@dataclass(frozen=True)
class Lineup:
    """Players in roster-slot order, as (slot name, player) pairs."""

    slots: tuple[tuple[str, Player], ...]

    @property
    def player_ids(self) -> frozenset[str]:
        return frozenset(player.id for _, player in self.slots)

    @property
    def salary(self) -> int:
        return sum(player.salary for _, player in self.slots)

    @property
    def projection(self) -> float:
        return round(sum(player.projection for _, player in self.slots), 4)


class LineupModel:
    """A CP-SAT model of one slate's lineups, solved repeatedly with cuts between solutions.

    One boolean per player. Whether the chosen players can fill the slots is Hall's condition,
    stated per group of players eligible for the same slots: for every set of groups, the
    players chosen from them must not outnumber the slots open to them. With the lineup size
    fixed, that is exact, and unlike player-slot variables it has no symmetric solutions.
    """

    def __init__(
        self, players: Sequence[Player], rules: RosterRules, options: SolverOptions
    ) -> None:
        self.players = [p for p in players if p.id not in options.excludes]
        self.rules = rules
        self.options = options
        self.model = cp_model.CpModel()
        self.used = [self.model.new_bool_var(f"p{i}") for i in range(len(self.players))]
        self._build()

    def eligible_slots(self, player: Player) -> frozenset[int]:
        """Indices of the slots this player may fill."""
        return frozenset(
            i
            for i, slot in enumerate(self.rules.slots)
            if slot.positions.intersection(player.positions)
        )

    def _build(self) -> None:
        model = self.model
        model.add(sum(self.used) == self.rules.size)
        self._add_slot_matching()
        model.add(
            sum(p.salary * v for p, v in zip(self.players, self.used, strict=True))
            <= self.rules.salary_cap
        )
        self._add_games()
        self._add_locks()
        if self.options.stack is not None:
            self._add_stack(self.options.stack)
        model.maximize(
            sum(
                round(p.projection * SCALE) * v
                for p, v in zip(self.players, self.used, strict=True)
            )
        )

    def _add_slot_matching(self) -> None:
        groups: dict[frozenset[int], list[int]] = {}
        for index, player in enumerate(self.players):
            groups.setdefault(self.eligible_slots(player), []).append(index)
        for index in groups.get(frozenset(), []):
            self.model.add(self.used[index] == 0)
        keys = [k for k in groups if k]
        for size in range(1, len(keys) + 1):
            for combo in itertools.combinations(keys, size):
                open_slots = len(frozenset().union(*combo))
                if open_slots >= self.rules.size:
                    continue  # implied by the lineup size
                members = [i for key in combo for i in groups[key]]
                self.model.add(sum(self.used[i] for i in members) <= open_slots)

    def _add_games(self) -> None:
        games: dict[frozenset[str], list[int]] = {}
        for p_index, player in enumerate(self.players):
            games.setdefault(player.game, []).append(p_index)
        present = []
        for members in games.values():
            in_game = self.model.new_bool_var("")
            self.model.add(sum(self.used[p] for p in members) >= 1).only_enforce_if(in_game)
            present.append(in_game)
        self.model.add(sum(present) >= self.rules.min_games)

    def _add_locks(self) -> None:
        index = {player.id: i for i, player in enumerate(self.players)}
        for player_id in self.options.locks:
            if player_id not in index:
                raise InfeasibleError(f"locked player {player_id!r} is not in the slate")
            self.model.add(self.used[index[player_id]] == 1)

    def _add_stack(self, stack: Stack) -> None:
        for q_index, qb in enumerate(self.players):
            if "QB" not in qb.positions:
                continue
            catchers = [
                i
                for i, p in enumerate(self.players)
                if p.team == qb.team and _CATCHERS.intersection(p.positions)
            ]
            self.model.add(sum(self.used[i] for i in catchers) >= stack.qb_with).only_enforce_if(
                self.used[q_index]
            )
            if stack.bring_back:
                opponents = [
                    i
                    for i, p in enumerate(self.players)
                    if p.team == qb.opponent and _BRING_BACK.intersection(p.positions)
                ]
                self.model.add(
                    sum(self.used[i] for i in opponents) >= stack.bring_back
                ).only_enforce_if(self.used[q_index])

    def solve_next(self) -> Lineup | None:
        """The best lineup allowed by the model now, or None when none is left."""
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = self.options.workers
        solver.parameters.max_time_in_seconds = self.options.time_limit_s
        status = solver.solve(self.model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        chosen = [
            p for p, v in zip(self.players, self.used, strict=True) if solver.boolean_value(v)
        ]
        return Lineup(assign_slots(chosen, self.rules, self.eligible_slots))

    def exclude_similar(self, lineup: Lineup) -> None:
        """Forbid lineups sharing more than size - min_unique players with `lineup`."""
        ids = lineup.player_ids
        members = [i for i, p in enumerate(self.players) if p.id in ids]
        limit = self.rules.size - self.options.min_unique
        self.model.add(sum(self.used[i] for i in members) <= limit)

    def cap_player(self, player_id: str) -> None:
        """Keep a player out of every later lineup (its exposure limit is reached)."""
        for i, player in enumerate(self.players):
            if player.id == player_id:
                self.model.add(self.used[i] == 0)


def assign_slots(
    chosen: Sequence[Player], rules: RosterRules, eligible: Callable[[Player], frozenset[int]]
) -> tuple[tuple[str, Player], ...]:
    """Put each chosen player in a slot (a bipartite matching by augmenting paths)."""
    slot_of: dict[int, int] = {}  # slot index -> index in chosen
    # Most constrained players first, so the common case needs no augmenting.
    order = sorted(range(len(chosen)), key=lambda i: (len(eligible(chosen[i])), chosen[i].id))

    def place(i: int, seen: set[int]) -> bool:
        for slot in sorted(eligible(chosen[i])):
            if slot in seen:
                continue
            seen.add(slot)
            if slot not in slot_of or place(slot_of[slot], seen):
                slot_of[slot] = i
                return True
        return False

    for i in order:
        if not place(i, set()):
            raise InfeasibleError("the chosen players cannot fill the roster slots")
    return tuple((rules.slots[s].name, chosen[slot_of[s]]) for s in range(rules.size))


def exposure_limits(options: SolverOptions, player_ids: Sequence[str]) -> dict[str, int]:
    """How many lineups each player may appear in."""
    overrides = dict(options.exposure)
    limits = {}
    for player_id in player_ids:
        share = (
            1.0 if player_id in options.locks else overrides.get(player_id, options.max_exposure)
        )
        limits[player_id] = max(0, math.floor(share * options.n_lineups + 1e-9))
    return limits


def solve_lineups(
    players: Sequence[Player],
    rules: RosterRules,
    options: SolverOptions,
    *,
    on_lineup: Callable[[int], None] | None = None,
) -> list[Lineup]:
    """The n best distinct lineups; fewer when fewer exist. Raises InfeasibleError if none."""
    model = LineupModel(players, rules, options)
    limits = exposure_limits(options, [p.id for p in model.players])
    for player_id, limit in limits.items():
        if limit == 0:
            model.cap_player(player_id)
    counts: dict[str, int] = {}
    lineups: list[Lineup] = []
    while len(lineups) < options.n_lineups:
        lineup = model.solve_next()
        if lineup is None:
            break
        lineups.append(lineup)
        model.exclude_similar(lineup)
        for player_id in lineup.player_ids:
            counts[player_id] = counts.get(player_id, 0) + 1
            if counts[player_id] >= limits[player_id]:
                model.cap_player(player_id)
        if on_lineup is not None:
            on_lineup(len(lineups))
    if not lineups:
        raise InfeasibleError("no lineup satisfies the salary cap, roster slots and constraints")
    return lineups
