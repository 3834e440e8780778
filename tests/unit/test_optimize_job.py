"""The optimize job kind: lineups described for people, roundings warned, failures coded."""

from __future__ import annotations

from typing import Any

import pytest
from ortools.sat.python import cp_model

from bench.slates import nfl_slate
from webapp.jobs.errors import JobFailedError
from webapp.lineups.job import make_optimize_job
from webapp.optimizer import search


class _Context:
    """What a job function needs of its context, without Redis."""

    checkpoint = None

    def progress(self, fraction: float, phase: str = "") -> None:
        """Progress goes nowhere."""


def _run(**request: Any) -> dict[str, Any]:
    job_input = {"slate_id": "s", "players": nfl_slate(seed=3, games=3), "n_scenarios": 0}
    return make_optimize_job(None)({**job_input, **request}, _Context())


def test_lineup_players_carry_their_slate_facts() -> None:
    """Every lineup player has slot, id, name, positions, team, salary and projection."""
    result = _run(n_lineups=2)

    first = result["lineups"][0]["players"][0]
    assert list(first)[:7] == ["slot", "id", "name", "positions", "team", "salary", "projection"]
    assert first["slot"] == "QB" and first["positions"] == ["QB"]
    assert all(p["name"] for lineup in result["lineups"] for p in lineup["players"])


def test_an_exposure_cap_below_one_lineup_is_warned() -> None:
    """max_exposure 0.1 of 5 lineups becomes one lineup each, and the result says so."""
    result = _run(n_lineups=5, max_exposure=0.1)

    assert any("max_exposure 0.1 of 5 lineups" in w for w in result["warnings"])


def test_an_infeasible_request_fails_with_its_code() -> None:
    """Three locked QBs fail with code infeasible (when not refused at submit)."""
    players = nfl_slate(seed=3, games=3)
    qbs = [p["id"] for p in players if p["positions"] == ["QB"]][:3]

    with pytest.raises(JobFailedError) as failure:
        _run(locks=qbs)

    assert failure.value.code == "infeasible"


def test_a_starved_solver_fails_with_its_own_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """A lineup solve that reaches its work limit before any lineup fails as solver_limit:
    not infeasible (nothing was proven), not invalid_request (the request was fine)."""
    real = cp_model.CpSolver.solve

    def starved(self: cp_model.CpSolver, *args: object, **kwargs: object) -> object:
        self.parameters.max_deterministic_time = 1e-9  # stops before its first solution
        return real(self, *args, **kwargs)

    monkeypatch.setattr(cp_model.CpSolver, "solve", starved)
    monkeypatch.setattr(search, "DFS_POOL", 0)  # every pool goes to CP-SAT

    with pytest.raises(JobFailedError) as failure:
        _run(n_lineups=2, min_unique=2)

    assert failure.value.code == "solver_limit"
    assert "work limit" in str(failure.value)
