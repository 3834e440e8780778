"""What can be known at submit to make a request impossible, each rule with its own code.

Every rule here is a proof by counting (slots, salaries, games, teams, exposures), never a
search, so a refusal is always right and checking a 1,000-player slate takes milliseconds. The
rules of a lineup are the optimizer's own (webapp.optimizer.feasibility); here they are applied
to the players a request may use, with the request's counting rules (exposures, min_unique) on
top. Requests these rules let through may still turn out infeasible while running (code
`infeasible`).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from webapp.optimizer.feasibility import (
    MAX_LISTED_PLAYERS,
    Problem,
    group_problems,
    lock_problems,
    slot_problems,
)
from webapp.optimizer.players import Player, to_players
from webapp.optimizer.rules import CLASSIC, DEFAULT_SPORT, GameType, game_type
from webapp.optimizer.shares import most_lineups


@dataclass(frozen=True)
class Refusal:
    """One rule the request breaks: its code, a sentence, the players involved."""

    code: str
    message: str
    players: Sequence[str] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """The refusal as the 422's details show it."""
        return {"code": self.code, "message": self.message, "players": list(self.players)}

    @classmethod
    def of(cls, problem: Problem) -> Refusal:
        """A refusal for one of the optimizer's counting proofs."""
        return cls(problem.code, problem.message, problem.players)


class SubmitRefusedError(Exception):
    """The request breaks at least one rule: no job is created."""

    def __init__(self, refusals: Sequence[Refusal]) -> None:
        super().__init__(refusals[0].message)
        self.refusals = list(refusals)


@dataclass(frozen=True)
class _Request:
    rules: GameType
    pool: list[Player]  # players that may appear (not excluded, not exposure 0)
    locks: list[Player]
    n_lineups: int
    min_unique: int
    limits: dict[str, int]  # lineups each pool player may appear in
    avoid_opposing: bool


def request_game_type(job_input: Mapping[str, Any]) -> GameType:
    """The game type a validated request names."""
    sport = job_input.get("sport") or DEFAULT_SPORT
    return game_type(sport, job_input.get("contest_type") or CLASSIC)


@functools.cache
def _eligible(rules: GameType, positions: tuple[str, ...], row: str | None) -> frozenset[int]:
    # A slate has a handful of position lists: computed once each, not once per player and rule.
    return rules.eligible_slots(positions, row)


def _slots_of(rules: GameType, player: Player) -> frozenset[int]:
    return _eligible(rules, player.positions, player.roster_position)


def _ids(players: Sequence[Player]) -> list[str]:
    return [p.id for p in players][:MAX_LISTED_PLAYERS]


def _prepare(job_input: Mapping[str, Any]) -> tuple[_Request, list[Refusal]]:
    rules = request_game_type(job_input)
    n_lineups = int(job_input.get("n_lineups") or 1)
    lock_ids = set(job_input.get("locks") or ())
    excluded = set(job_input.get("excludes") or ())
    exposure = dict(job_input.get("exposure") or {})
    share = float(job_input.get("max_exposure", 1.0))
    players = to_players(job_input["players"], rules)
    limits = {
        p.id: n_lineups if p.id in lock_ids else most_lineups(exposure.get(p.id, share), n_lineups)
        for p in players
        if p.id not in excluded
    }
    pool = [p for p in players if limits.get(p.id, 0) > 0]
    locks = [p for p in pool if p.id in lock_ids]
    missing = sorted(lock_ids - {p.id for p in locks})
    refusals = []
    if missing:
        refusals.append(
            Refusal(
                "lock_not_in_slate",
                f"locked players are not in the slate (or excluded): {missing}",
                missing,
            )
        )
    request = _Request(
        rules,
        pool,
        locks,
        n_lineups,
        int(job_input.get("min_unique") or 1),
        limits,
        bool(job_input.get("avoid_opposing")),
    )
    return request, refusals


def _exposure_shortage(r: _Request) -> Refusal | None:
    """Slots the exposure caps cannot fill n_lineups times (smallest group of slots first)."""
    kinds: dict[tuple[str, frozenset[str]], list[int]] = {}
    for index, slot in enumerate(r.rules.slots):
        kinds.setdefault((slot.name, slot.positions), []).append(index)
    # Players grouped by the slots they can fill: a few groups, however large the slate.
    groups: dict[frozenset[int], list[Player]] = {}
    for player in r.pool:
        groups.setdefault(_slots_of(r.rules, player), []).append(player)
    supply_of = {key: sum(r.limits[p.id] for p in members) for key, members in groups.items()}
    for count in range(1, len(kinds) + 1):
        for combo in itertools.combinations(list(kinds), count):
            slots = frozenset(i for kind in combo for i in kinds[kind])
            need = r.n_lineups * len(slots)
            fitting = [key for key in groups if key & slots]
            supply = sum(supply_of[key] for key in fitting)
            if supply < need:
                players = [p for key in fitting for p in groups[key]]
                names = ", ".join(r.rules.slots[i].name for i in sorted(slots))
                message = (
                    f"{r.n_lineups} lineups need {need} appearances in {names}; the exposure "
                    f"caps allow the {len(players)} players who fit there {supply}"
                )
                return Refusal("exposure_too_low", message, _ids(players))
    return None


def _counting_checks(r: _Request) -> list[Refusal]:
    refusals = []
    free = r.rules.size - len(r.locks)
    if r.n_lineups > 1 and r.min_unique > free:
        message = (
            f"with {len(r.locks)} locked players lineups differ in at most {free} players; "
            f"min_unique {r.min_unique} leaves room for one of the {r.n_lineups} lineups"
        )
        refusals.append(Refusal("min_unique_impossible", message, _ids(r.locks)))
    shortage = _exposure_shortage(r)
    if shortage is not None:
        refusals.append(shortage)
    return refusals


def check_submission(job_input: Mapping[str, Any]) -> None:
    """Raise SubmitRefusedError listing every rule the request breaks (validated input with
    its players)."""
    if job_input.get("late_swap"):
        from webapp.lineups.late_swap import check_late_swap

        check_late_swap(job_input)
    request, refusals = _prepare(job_input)
    rules, pool = request.rules, request.pool
    slot_refusals = [Refusal.of(problem) for problem in slot_problems(rules, pool)]
    refusals += slot_refusals
    refusals += [Refusal.of(problem) for problem in group_problems(rules, pool)]
    locks = lock_problems(rules, pool, request.locks, request.avoid_opposing)
    refusals += [Refusal.of(problem) for problem in locks]
    # Counting assumes free lineups; in a late swap started players are fixed wherever they are.
    if not slot_refusals and not job_input.get("late_swap"):
        refusals += _counting_checks(request)
    if refusals:
        raise SubmitRefusedError(refusals)
