"""What can be known at submit to make a request impossible, each rule with its own code.

Every rule here is a proof by counting (slots, salaries, games, exposures), never a search, so a
refusal is always right and checking a 1,000-player slate takes milliseconds. Requests these
rules let through may still turn out infeasible while running (code `infeasible`).
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from webapp.optimizer.rules import RULES, RosterRules
from webapp.optimizer.slots import match_slots

# Ids listed per refusal at most; the message gives the full count.
MAX_LISTED_PLAYERS = 50


@dataclass(frozen=True)
class Refusal:
    """One rule the request breaks: its code, a sentence, the players involved."""

    code: str
    message: str
    players: Sequence[str] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """The refusal as the 422's details show it."""
        return {"code": self.code, "message": self.message, "players": list(self.players)}


class SubmitRefusedError(Exception):
    """The request breaks at least one rule: no job is created."""

    def __init__(self, refusals: Sequence[Refusal]) -> None:
        super().__init__(refusals[0].message)
        self.refusals = list(refusals)


@dataclass(frozen=True)
class _Request:
    rules: RosterRules
    pool: list[Mapping[str, Any]]  # players that may appear (not excluded, not exposure 0)
    locks: list[Mapping[str, Any]]
    n_lineups: int
    min_unique: int
    limits: dict[str, int]  # lineups each pool player may appear in


def _slots_of(rules: RosterRules, player: Mapping[str, Any]) -> frozenset[int]:
    return _eligible(rules, tuple(player["positions"]))


@functools.cache
def _eligible(rules: RosterRules, positions: tuple[str, ...]) -> frozenset[int]:
    # A slate has a handful of position lists: computed once each, not once per player and rule.
    return rules.eligible_slots(positions)


def _game(player: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(sorted((player["team"], player["opponent"])))


def _ids(players: Sequence[Mapping[str, Any]]) -> list[str]:
    return [str(p["id"]) for p in players][:MAX_LISTED_PLAYERS]


def _limit(share: float, n_lineups: int) -> int:
    return max(math.floor(share * n_lineups + 1e-9), 1) if share > 0 else 0


def _prepare(job_input: Mapping[str, Any]) -> tuple[_Request, list[Refusal]]:
    rules = RULES[job_input.get("sport", "nfl")]
    n_lineups = int(job_input.get("n_lineups") or 1)
    lock_ids = set(job_input.get("locks") or ())
    excluded = set(job_input.get("excludes") or ())
    exposure = dict(job_input.get("exposure") or {})
    share = float(job_input.get("max_exposure", 1.0))
    limits = {
        str(p["id"]): n_lineups
        if p["id"] in lock_ids
        else _limit(exposure.get(p["id"], share), n_lineups)
        for p in job_input["players"]
        if p["id"] not in excluded
    }
    pool = [p for p in job_input["players"] if limits.get(str(p["id"]), 0) > 0]
    locks = [p for p in pool if p["id"] in lock_ids]
    missing = sorted(lock_ids - {str(p["id"]) for p in locks})
    refusals = []
    if missing:
        refusals.append(
            Refusal(
                "lock_not_in_slate",
                f"locked players are not in the slate (or excluded): {missing}",
                missing,
            )
        )
    request = _Request(rules, pool, locks, n_lineups, int(job_input.get("min_unique") or 1), limits)
    return request, refusals


def _slot_checks(r: _Request) -> list[Refusal]:
    size = r.rules.size
    empty = [
        slot.name
        for i, slot in enumerate(r.rules.slots)
        if not any(i in _slots_of(r.rules, p) for p in r.pool)
    ]
    if empty:
        return [Refusal("slot_unfillable", f"no player of the slate can fill {', '.join(empty)}")]
    filled = match_slots([_slots_of(r.rules, p) for p in r.pool], size)
    if len(filled) < size:
        return [
            Refusal(
                "too_few_players",
                f"the players can fill at most {len(filled)} of the {size} roster slots",
            )
        ]
    return []


def _game_check(r: _Request) -> list[Refusal]:
    games = {_game(p) for p in r.pool}
    if len(games) >= r.rules.min_games:
        return []
    return [
        Refusal(
            "single_game",
            f"the players come from {len(games)} game(s); a DraftKings classic lineup needs "
            f"players from {r.rules.min_games} games",
        )
    ]


def _crowded(
    rules: RosterRules, players: Sequence[Mapping[str, Any]]
) -> tuple[list[Mapping[str, Any]], frozenset[int]] | None:
    """The smallest group of `players` outnumbering the slots open to them (Hall's condition)."""
    groups: dict[frozenset[int], list[Mapping[str, Any]]] = {}
    for player in players:
        groups.setdefault(_slots_of(rules, player), []).append(player)
    keys = list(groups)
    for count in range(1, len(keys) + 1):
        for combo in itertools.combinations(keys, count):
            members = [p for key in combo for p in groups[key]]
            open_slots = frozenset().union(*combo)
            if len(members) > len(open_slots):
                return members, open_slots
    return None


def _lock_checks(r: _Request) -> list[Refusal]:
    if not r.locks:
        return []
    rules, size = r.rules, r.rules.size
    crowded = _crowded(rules, r.locks)
    if crowded:
        members, open_slots = crowded
        slots = ", ".join(rules.slots[i].name for i in sorted(open_slots)) or "none"
        positions = {position for p in members for position in p["positions"]}
        code = "locks_exceed_position" if len(positions) == 1 else "locks_incompatible"
        message = f"{len(members)} locked players share the {len(open_slots)} slot(s) {slots}"
        return [Refusal(code, message, _ids(members))]
    lock_ids = {p["id"] for p in r.locks}
    salary = sum(p["salary"] for p in r.locks)
    others = sorted(p["salary"] for p in r.pool if p["id"] not in lock_ids)
    cheapest = salary + sum(others[: size - len(r.locks)])
    if cheapest > rules.salary_cap:
        message = (
            f"the locked players cost {salary}; the cheapest lineup around them costs "
            f"{cheapest}, over the {rules.salary_cap} cap"
        )
        return [Refusal("locks_over_cap", message, _ids(r.locks))]
    if len(r.locks) == size and len({_game(p) for p in r.locks}) < rules.min_games:
        message = f"the locked players fill the roster from one game; {rules.min_games} needed"
        return [Refusal("locks_incompatible", message, _ids(r.locks))]
    return []


def _exposure_shortage(r: _Request) -> Refusal | None:
    """Slots the exposure caps cannot fill n_lineups times (smallest group of slots first)."""
    kinds: dict[frozenset[str], list[int]] = {}
    for index, slot in enumerate(r.rules.slots):
        kinds.setdefault(slot.positions, []).append(index)
    # Players grouped by the slots they can fill: a few groups, however large the slate.
    groups: dict[frozenset[int], list[Mapping[str, Any]]] = {}
    for player in r.pool:
        groups.setdefault(_slots_of(r.rules, player), []).append(player)
    supply_of = {
        key: sum(r.limits[str(p["id"])] for p in members) for key, members in groups.items()
    }
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
        from webapp.api.late_swap import check_late_swap

        check_late_swap(job_input)
    request, refusals = _prepare(job_input)
    slot_refusals = _slot_checks(request)
    refusals += slot_refusals + _game_check(request) + _lock_checks(request)
    # Counting assumes free lineups; in a late swap started players are fixed wherever they are.
    if not slot_refusals and not job_input.get("late_swap"):
        refusals += _counting_checks(request)
    if refusals:
        raise SubmitRefusedError(refusals)
