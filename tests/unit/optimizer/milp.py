"""The best lineup by an independent MILP (SCIP through OR-Tools' linear solver wrapper).

Written from DraftKings' rules as validator.py restates them, with one binary per player and
slot, so it shares no model, bound or search with the optimizer (which uses one boolean per
player, Hall's condition, a branch and bound and CP-SAT).
"""

from __future__ import annotations

from ortools.linear_solver import pywraplp

from tests.unit.optimizer.validator import CAP, CONTESTS, HITTERS, _any, fits, points


def best_total(
    players: list[dict], sport: str, contest_type: str = "classic", *, captain_with: int = 0
) -> float:
    """The most projected points a valid lineup of `players` can reach (with `captain_with`:
    whose captain has at least that many FLEX/UTIL players of his team)."""
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
    for (p, s), v in x.items():
        if captain_with and contest.slots[s][0] == "CPT":
            team = [taken[q] for q, pl in enumerate(players) if pl["team"] == players[p]["team"]]
            solver.Add(sum(team) - v >= captain_with * v)
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
