"""Cheap checks that find an impossible request before any heavy work."""

from __future__ import annotations

from collections.abc import Sequence

from webapp.optimizer.errors import InfeasibleError
from webapp.optimizer.players import Player
from webapp.optimizer.rules import RosterRules
from webapp.optimizer.slots import match_slots


def _check_slots(pool: Sequence[Player], rules: RosterRules) -> None:
    for slot in rules.slots:
        if not any(slot.positions.intersection(p.positions) for p in pool):
            raise InfeasibleError(f"no player can fill slot {slot.name}")
    filled = match_slots([rules.eligible_slots(p.positions) for p in pool], rules.size)
    if filled is None or len(filled) < rules.size:
        raise InfeasibleError(
            f"too few players for the roster slots: at most {len(filled or ())} of "
            f"{rules.size} slots can be filled"
        )


def _check_locks(pool: Sequence[Player], rules: RosterRules, locks: frozenset[str]) -> None:
    by_id = {p.id: p for p in pool}
    missing = sorted(locks - by_id.keys())
    if missing:
        raise InfeasibleError(f"locked players are not in the slate (or excluded): {missing}")
    locked = [by_id[i] for i in sorted(locks)]
    placed = match_slots([rules.eligible_slots(p.positions) for p in locked], rules.size)
    if placed is None or len(placed) < len(locked):
        raise InfeasibleError(
            f"the locked players cannot share a lineup: no roster slots for all of {sorted(locks)}"
        )
    locked_salary = sum(p.salary for p in locked)
    cheapest = sorted(p.salary for p in pool if p.id not in locks)
    floor = locked_salary + sum(cheapest[: rules.size - len(locks)])
    if floor > rules.salary_cap:
        raise InfeasibleError(
            f"the cheapest lineup with the locked players costs {floor}, over the cap of "
            f"{rules.salary_cap}"
        )


def check_feasible(
    players: Sequence[Player], rules: RosterRules, locks: frozenset[str], excludes: frozenset[str]
) -> None:
    """Raise InfeasibleError naming the first reason no lineup can exist."""
    pool = [p for p in players if p.id not in excludes]
    if len(pool) < rules.size:
        raise InfeasibleError(f"{len(pool)} players left, a lineup needs {rules.size}")
    _check_slots(pool, rules)
    games = {p.game for p in pool}
    if len(games) < rules.min_games:
        raise InfeasibleError(
            f"players come from {len(games)} game(s); a lineup needs {rules.min_games}"
        )
    _check_locks(pool, rules, locks)
    locked_games = {p.game for p in pool if p.id in locks}
    if len(locks) == rules.size and len(locked_games) < rules.min_games:
        raise InfeasibleError(
            f"the locked players come from {len(locked_games)} game(s); "
            f"a lineup needs {rules.min_games}"
        )
