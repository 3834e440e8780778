"""Solver statuses: only a proven INFEASIBLE means "no lineup"; anything else falls back."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from webapp.optimizer import OptimizeOptions, optimize
from webapp.optimizer.bounds import BoundsModel
from webapp.optimizer.players import to_players
from webapp.optimizer.rules import game_type
from webapp.optimizer.slate import Slate


def _glop_answers(monkeypatch: pytest.MonkeyPatch, fake: Callable[[int], int | None]) -> None:
    """GLOP's k-th Solve() (from 0) returns fake(k) instead of its own status when not None."""
    real = pywraplp.Solver.Solve
    calls = [0]

    def solve(self: pywraplp.Solver, *args: object) -> int:
        status = real(self, *args)
        override = fake(calls[0])
        calls[0] += 1
        return status if override is None else override

    monkeypatch.setattr(pywraplp.Solver, "Solve", solve)


def test_abnormal_reused_lp_is_solved_again(nfl: list[dict], monkeypatch) -> None:
    """A re-solved LP that answers ABNORMAL is rebuilt, and its bounds equal the normal ones."""
    slate = Slate(to_players(nfl), game_type("nfl"))
    values = slate.scaled(slate.projections)
    expected = BoundsModel(slate).solve(values)
    model = BoundsModel(slate)
    model.solve(values)
    _glop_answers(monkeypatch, lambda k: pywraplp.Solver.ABNORMAL if k == 0 else None)

    bounds = model.solve(values)

    assert bounds is not None and bounds.lp_value == pytest.approx(expected.lp_value)


def test_reused_lp_infeasible_is_confirmed(nfl: list[dict], monkeypatch) -> None:
    """INFEASIBLE from a reused LP is checked on a fresh model before it is believed."""
    slate = Slate(to_players(nfl), game_type("nfl"))
    values = slate.scaled(slate.projections)
    model = BoundsModel(slate)
    model.solve(values)
    _glop_answers(monkeypatch, lambda k: pywraplp.Solver.INFEASIBLE if k == 0 else None)

    assert model.solve(values) is not None


@pytest.mark.parametrize("n_scenarios", [0, 300], ids=["exact", "simulated"])
def test_lp_that_never_solves_still_gives_lineups(
    nfl: list[dict], monkeypatch, n_scenarios: int
) -> None:
    """With every LP solve ABNORMAL the lineups are those of a normal run (no pruning)."""
    options = OptimizeOptions(n_lineups=3, n_scenarios=n_scenarios, seed=2)
    expected = optimize(nfl, options)
    _glop_answers(monkeypatch, lambda _k: pywraplp.Solver.ABNORMAL)

    result = optimize(nfl, options)

    assert [x["projection"] for x in result["lineups"]] == [
        x["projection"] for x in expected["lineups"]
    ]


def test_cp_sat_without_proof_is_solved_again(nfl: list[dict], monkeypatch) -> None:
    """A CP-SAT solve that stops with UNKNOWN is retried rather than failing the job."""
    options = OptimizeOptions(n_lineups=2, n_scenarios=0)
    expected = optimize(nfl, options)
    real = cp_model.CpSolver.solve
    calls = [0]

    def solve(self: cp_model.CpSolver, *args: object, **kwargs: object) -> object:
        calls[0] += 1
        status = real(self, *args, **kwargs)
        return cp_model.UNKNOWN if calls[0] == 1 else status

    monkeypatch.setattr(cp_model.CpSolver, "solve", solve)

    assert optimize(nfl, options)["lineups"] == expected["lineups"]
