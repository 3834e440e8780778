"""Proofs by counting that no lineup can exist: the one place these rules are written.

Every rule here counts (slots, salaries, games, teams, locks), never searches, so a problem it
finds is always real and checking a 1,000-player slate takes milliseconds. The optimizer raises
the first one as InfeasibleError before any heavy work; requests are refused with all of them at
submit (webapp/lineups/refusals.py), each under its code. Requests these rules let through may
still turn out infeasible when solved.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from webapp.optimizer.errors import InfeasibleError
from webapp.optimizer.players import Player
from webapp.optimizer.rules import GameType
from webapp.optimizer.slot_matching import match_slots

MAX_LISTED_PLAYERS = 50  # ids listed per problem at most; the message gives the full count


@dataclass(frozen=True)
class Problem:
    """One reason no lineup exists: a code, a sentence, the players involved."""

    code: str
    message: str
    players: tuple[str, ...] = ()


def _ids(players: Sequence[Player]) -> tuple[str, ...]:
    return tuple(p.id for p in players)[:MAX_LISTED_PLAYERS]


def _slots_of(rules: GameType, player: Player) -> frozenset[int]:
    return rules.eligible_slots(player.positions, player.roster_position)


def slot_problems(rules: GameType, pool: Sequence[Player]) -> list[Problem]:
    """Slots no player can fill, or too few players to fill them all."""
    empty = [
        slot.name
        for i, slot in enumerate(rules.slots)
        if not any(i in _slots_of(rules, p) for p in pool)
    ]
    if empty:
        names = ", ".join(dict.fromkeys(empty))
        return [Problem("slot_unfillable", f"no player of the slate can fill slot {names}")]
    filled = match_slots([_slots_of(rules, p) for p in pool], rules.size)
    if len(filled) < rules.size:
        message = (
            f"too few players for the roster slots: at most {len(filled)} of the {rules.size} "
            "can be filled"
        )
        return [Problem("too_few_players", message)]
    return []


def _teams(rules: GameType, players: Sequence[Player]) -> set[str]:
    """The teams that count towards min_teams."""
    counted = rules.team_count_positions
    return {p.team for p in players if not counted or counted & set(p.positions)}


def group_problems(rules: GameType, pool: Sequence[Player]) -> list[Problem]:
    """Too few games or teams, or too few players within a team's maximum."""
    found = []
    games = {p.game for p in pool}
    if len(games) < rules.min_games:
        message = (
            f"the players come from {len(games)} game(s); a {rules.name} lineup needs players "
            f"from {rules.min_games} games"
        )
        found.append(Problem("single_game", message))
    teams = _teams(rules, pool)
    if len(teams) < rules.min_teams:
        message = (
            f"the players come from {len(teams)} team(s); a {rules.name} lineup needs players "
            f"from {rules.min_teams} teams"
        )
        found.append(Problem("too_few_teams", message))
    if shortage := _team_maximum(rules, pool):
        found.append(shortage)
    return found


def _team_maximum(rules: GameType, pool: Sequence[Player]) -> Problem | None:
    """The slots only the capped positions fill, against what the teams can give them."""
    most, positions = rules.max_from_team, rules.max_from_team_positions
    if most is None:
        return None
    slots = [s for s in rules.slots if s.positions <= positions]
    per_team: dict[str, int] = {}
    for player in pool:
        if positions & set(player.positions):
            per_team[player.team] = per_team.get(player.team, 0) + 1
    supply = sum(min(count, most) for count in per_team.values())
    if supply >= len(slots):
        return None
    message = (
        f"at most {most} of a team's {'/'.join(sorted(positions))} players fit a lineup: the "
        f"slate's {len(per_team)} teams fill at most {supply} of the {len(slots)} slots for them"
    )
    return Problem("team_limit", message)


def _crowded(rules: GameType, locks: Sequence[Player]) -> Problem | None:
    """The smallest group of locked players outnumbering the slots open to them (Hall)."""
    groups: dict[frozenset[int], list[Player]] = {}
    for player in locks:
        groups.setdefault(_slots_of(rules, player), []).append(player)
    keys = list(groups)
    for count in range(1, len(keys) + 1):
        for combo in itertools.combinations(keys, count):
            members = [p for key in combo for p in groups[key]]
            open_slots = frozenset().union(*combo)
            if len(members) > len(open_slots):
                slots = ", ".join(rules.slots[i].name for i in sorted(open_slots)) or "none"
                positions = {position for p in members for position in p.positions}
                code = "locks_exceed_position" if len(positions) == 1 else "locks_incompatible"
                message = (
                    f"the locked players cannot share a lineup: {len(members)} of them share "
                    f"the {len(open_slots)} slot(s) {slots}"
                )
                return Problem(code, message, _ids(members))
    return None


def _lock_pairs(rules: GameType, locks: Sequence[Player], avoid_opposing: bool) -> Problem | None:
    """Locked players who may not play together: one player's two rows, more of a team than
    its maximum, or (avoid_opposing) a player against a locked DST, pitcher or goalie."""
    people: dict[tuple[str, str], list[Player]] = {}
    for player in locks:
        people.setdefault(player.person, []).append(player)
    twice = [rows for rows in people.values() if len(rows) > 1]
    if twice:
        message = f"the locked rows {[p.id for p in twice[0]]} are one player; a lineup holds one"
        return Problem("locks_same_player", message, _ids(twice[0]))
    most, positions = rules.max_from_team, rules.max_from_team_positions
    if most is not None:
        for team in sorted({p.team for p in locks}):
            members = [p for p in locks if p.team == team and positions & set(p.positions)]
            if len(members) > most:
                message = f"{len(members)} locked players of {team}; a lineup holds at most {most}"
                return Problem("locks_exceed_team", message, _ids(members))
    guards, others = rules.opposing
    if avoid_opposing:
        for guard in (p for p in locks if guards & set(p.positions)):
            facing = [p for p in locks if p.team == guard.opponent and others & set(p.positions)]
            if facing:
                message = f"avoid_opposing: locked players face the locked {guard.id}"
                return Problem("locks_opposing", message, _ids([guard, *facing]))
    return None


def lock_problems(
    rules: GameType, pool: Sequence[Player], locks: Sequence[Player], avoid_opposing: bool = False
) -> list[Problem]:
    """The first reason the locked players cannot share a lineup of `pool`, if any."""
    if not locks:
        return []
    found = _crowded(rules, locks) or _lock_pairs(rules, locks, avoid_opposing)
    if found:
        return [found]
    lock_ids = {p.id for p in locks}
    salary = sum(p.salary for p in locks)
    others = sorted(p.salary for p in pool if p.id not in lock_ids)
    cheapest = salary + sum(others[: rules.size - len(locks)])
    if cheapest > rules.salary_cap:
        message = (
            f"the locked players cost {salary}; the cheapest lineup around them costs "
            f"{cheapest}, over the cap of {rules.salary_cap}"
        )
        return [Problem("locks_over_cap", message, _ids(locks))]
    if len(locks) == rules.size:
        games, teams = {p.game for p in locks}, _teams(rules, locks)
        if len(games) < rules.min_games or len(teams) < rules.min_teams:
            message = (
                f"the locked players fill the roster from {len(games)} game(s) and "
                f"{len(teams)} team(s); a {rules.name} lineup needs {rules.min_games} and "
                f"{rules.min_teams}"
            )
            return [Problem("locks_incompatible", message, _ids(locks))]
    return []


def check_feasible(
    players: Sequence[Player],
    rules: GameType,
    locks: frozenset[str],
    excludes: frozenset[str],
    *,
    avoid_opposing: bool = False,
) -> None:
    """Raise InfeasibleError naming the first reason no lineup can exist."""
    pool = [p for p in players if p.id not in excludes]
    by_id = {p.id: p for p in pool}
    missing = sorted(locks - by_id.keys())
    if missing:
        raise InfeasibleError(f"locked players are not in the slate (or excluded): {missing}")
    locked = [by_id[i] for i in sorted(locks)]
    problems = slot_problems(rules, pool) or group_problems(rules, pool)
    problems = problems or lock_problems(rules, pool, locked, avoid_opposing)
    if problems:
        raise InfeasibleError(problems[0].message)
