"""Cheap checks that find an impossible request before any heavy work."""

from __future__ import annotations

from collections.abc import Sequence

from webapp.optimizer.errors import InfeasibleError
from webapp.optimizer.players import Player
from webapp.optimizer.rules import RosterRules


def check_feasible(
    players: Sequence[Player], rules: RosterRules, locks: frozenset[str], excludes: frozenset[str]
) -> None:
    """Raise InfeasibleError naming the first reason no lineup can exist."""
    pool = [p for p in players if p.id not in excludes]
    if len(pool) < rules.size:
        raise InfeasibleError(f"{len(pool)} players left, a lineup needs {rules.size}")
    for slot in rules.slots:
        if not any(slot.positions.intersection(p.positions) for p in pool):
            raise InfeasibleError(f"no player can fill slot {slot.name}")
    games = {p.game for p in pool}
    if len(games) < rules.min_games:
        raise InfeasibleError(
            f"players come from {len(games)} game(s); a lineup needs {rules.min_games}"
        )
    by_id = {p.id: p for p in pool}
    missing = sorted(locks - by_id.keys())
    if missing:
        raise InfeasibleError(f"locked players are not in the slate (or excluded): {missing}")
    if len(locks) > rules.size:
        raise InfeasibleError(f"{len(locks)} locked players, a lineup holds {rules.size}")
    locked_salary = sum(by_id[i].salary for i in locks)
    cheapest = sorted(p.salary for p in pool if p.id not in locks)
    floor = locked_salary + sum(cheapest[: rules.size - len(locks)])
    if floor > rules.salary_cap:
        raise InfeasibleError(
            f"the cheapest lineup with the locked players costs {floor}, over the cap of "
            f"{rules.salary_cap}"
        )
