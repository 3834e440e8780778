"""The best lineup by an independent MILP (SCIP through OR-Tools' linear solver wrapper).

Written from DraftKings' rules as validator.py restates them, with one binary per player and
slot, so it shares no model, bound or search with the optimizer (which uses one boolean per
player, Hall's condition, a branch and bound and CP-SAT).
"""

from __future__ import annotations

from ortools.linear_solver import pywraplp

from tests.unit.optimizer.validator import CAP, CONTESTS, HITTERS, _any, fits, points


def best_total(
    players: list[dict],
    sport: str,
    contest_type: str = "classic",
    *,
    captain_with: int = 0,
    team_stack: tuple[int, ...] = (),
    avoid_opposing: bool = False,
) -> float:
    """The most projected points a valid lineup of `players` can reach; with `captain_with`,
    whose captain has that many FLEX/UTIL players of his team; with `team_stack` sizes, that
    holds that many stack players (hitters, skaters) of as many teams; with `avoid_opposing`,
    no hitter (skater) facing its pitcher (goalie)."""
    contest = CONTESTS[(sport, contest_type)]
    solver = pywraplp.Solver.CreateSolver("SCIP")
    x = {
        (p, s): solver.BoolVar(f"x{p}_{s}")
        for p, player in enumerate(players)
        for s, slot in enumerate(contest.slots)
        if fits(player, slot)
    }
    for s in range(len(contest.slots)):
        solver.Add(sum(v for (_, t), v in x.items() if t == s) == 1)
    taken = {p: sum(v for (q, _), v in x.items() if q == p) for p in range(len(players))}
    people: dict[tuple[str, str], list[int]] = {}
    for p, player in enumerate(players):
        people.setdefault((player["name"], player["team"]), []).append(p)
    for rows in people.values():  # a player once, whichever of his rows
        solver.Add(sum(taken[p] for p in rows) <= 1)
    solver.Add(sum(players[p]["salary"] * taken[p] for p in taken) <= CAP)
    _at_least(
        solver, players, taken, lambda p: frozenset((p["team"], p["opponent"])), contest.min_games
    )
    counted = contest.team_positions
    _at_least(
        solver, players, taken, lambda p: p["team"] if not counted or _any(p, counted) else None,
        contest.min_teams,
    )  # fmt: skip
    if contest.max_hitters is not None:
        for team in {p["team"] for p in players}:
            hitters = [
                p for p, pl in enumerate(players) if pl["team"] == team and _any(pl, HITTERS)
            ]
            solver.Add(sum(taken[p] for p in hitters) <= contest.max_hitters)
    if team_stack:
        _team_stacks(solver, players, taken, contest.stack_positions, team_stack)
    if avoid_opposing:
        _no_opposing(solver, players, taken, contest.opposing)
    if captain_with:
        _captain_with(solver, players, x, taken, contest, captain_with)
    objective = sum(points(players[p], contest.slots[s][0]) * v for (p, s), v in x.items())
    solver.Maximize(objective)
    assert solver.Solve() == pywraplp.Solver.OPTIMAL
    return solver.Objective().Value()


def _at_least(solver, players, taken, key, needed: int) -> None:
    """Players of at least `needed` distinct keys (games, teams); None keys do not count."""
    if needed <= 1:
        return
    groups: dict[object, list[int]] = {}
    for p, player in enumerate(players):
        if (k := key(player)) is not None:
            groups.setdefault(k, []).append(p)
    present = []
    for members in groups.values():
        flag = solver.BoolVar("")
        solver.Add(flag <= sum(taken[p] for p in members))
        present.append(flag)
    solver.Add(sum(present) >= needed)


def _team_stacks(solver, players, taken, positions, sizes) -> None:
    """Each size from its own team: a binary per team and size."""
    teams = sorted({p["team"] for p in players})
    pick = {(t, k): solver.BoolVar("") for t in teams for k in range(len(sizes))}
    for k in range(len(sizes)):
        solver.Add(sum(pick[t, k] for t in teams) == 1)
    for t in teams:
        solver.Add(sum(pick[t, k] for k in range(len(sizes))) <= 1)
        members = [p for p, pl in enumerate(players) if pl["team"] == t and _any(pl, positions)]
        need = sum(size * pick[t, k] for k, size in enumerate(sizes))
        solver.Add(sum(taken[p] for p in members) >= need)


def _no_opposing(solver, players, taken, opposing) -> None:
    """No player of the second positions facing one of the first."""
    guards, others = opposing
    for g, guard in enumerate(players):
        if not _any(guard, guards):
            continue
        for o, other in enumerate(players):
            if other["team"] == guard["opponent"] and _any(other, others):
                solver.Add(taken[g] + taken[o] <= 1)


def _captain_with(solver, players, x, taken, contest, count) -> None:
    """The captain's team holds `count` more of the lineup's players."""
    for (p, s), v in x.items():
        if contest.slots[s][0] == "CPT":
            team = [taken[q] for q, pl in enumerate(players) if pl["team"] == players[p]["team"]]
            solver.Add(sum(team) - v >= count * v)
