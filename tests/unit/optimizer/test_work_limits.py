"""Solver limits count work, not seconds: a starved selection falls back, never "infeasible".

Starving means a deterministic work limit (CP-SAT's `max_deterministic_time`) too small for
the solver to find anything, so these tests do not depend on the machine's speed or load.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections.abc import Callable

import numpy as np
import pytest
from ortools.sat.python import cp_model

from bench.slates import nfl_slate
from tests.unit.optimizer.validator import lineup_problems
from webapp.optimizer import InfeasibleError, OptimizeOptions, OptimizerError, optimize
from webapp.optimizer import search as lineup_search
from webapp.optimizer.budget import NO_BUDGET
from webapp.optimizer.model import PoolModel
from webapp.optimizer.players import to_players
from webapp.optimizer.portfolio import Rules, choose
from webapp.optimizer.rules import game_type
from webapp.optimizer.slate import Slate
from webapp.optimizer.teams import TeamLimit

STARVED = 1e-9  # deterministic seconds: CP-SAT stops before its first solution


@pytest.fixture
def starve_cp_sat(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Call it, and every later CP-SAT solve gets a work limit too small to find anything."""
    real = cp_model.CpSolver.solve

    def solve(self: cp_model.CpSolver, *args: object, **kwargs: object) -> object:
        self.parameters.max_deterministic_time = STARVED
        return real(self, *args, **kwargs)

    return lambda: monkeypatch.setattr(cp_model.CpSolver, "solve", solve)


@pytest.fixture
def solver_parameters(monkeypatch: pytest.MonkeyPatch) -> list:
    """The parameters of every CP-SAT solve, as the solver got them."""
    seen: list = []
    real = cp_model.CpSolver.solve

    def solve(self: cp_model.CpSolver, *args: object, **kwargs: object) -> object:
        seen.append(self.parameters)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(cp_model.CpSolver, "solve", solve)
    return seen


def _lineup_ids(result: dict) -> list[list[str]]:
    return [[e["id"] for e in lineup["players"]] for lineup in result["lineups"]]


def _warned(result: dict, words: str) -> bool:
    return any(words in warning for warning in result["warnings"])


def test_starved_selection_returns_the_greedy_portfolio(
    nfl: list[dict], starve_cp_sat: Callable[[], None]
) -> None:
    """A selection stopped before any portfolio gives the best candidates by the statistic,
    with a warning: with min_unique 1 and no binding limit, the same lineups as a proof."""
    options = OptimizeOptions(n_lineups=8, n_scenarios=200, seed=3)
    expected = optimize(nfl, options)

    starve_cp_sat()

    result = optimize(nfl, options)

    assert _lineup_ids(result) == _lineup_ids(expected)
    assert _warned(result, "work limit")
    assert not _warned(expected, "work limit")


@pytest.mark.parametrize("n_scenarios", [0, 200], ids=["exact", "simulated"])
def test_starved_selection_with_min_exposure_is_not_infeasible(
    nfl: list[dict], n_scenarios: int, starve_cp_sat: Callable[[], None]
) -> None:
    """A starved selection with a minimum exposure returns valid lineups meeting it."""
    starve_cp_sat()
    cheap = min((p for p in nfl if p["positions"] == ["WR"]), key=lambda p: p["projection"])
    options = OptimizeOptions(
        n_lineups=6, n_scenarios=n_scenarios, seed=1, min_exposure={cheap["id"]: 0.5}
    )

    result = optimize(nfl, options)

    by_id = {p["id"]: p for p in nfl}
    assert len(result["lineups"]) == 6
    assert all(lineup_problems(x, by_id, "nfl") == [] for x in result["lineups"])
    assert sum(cheap["id"] in ids for ids in _lineup_ids(result)) >= 3
    assert _warned(result, "work limit")


def _portfolio_case() -> tuple[list[list[int]], np.ndarray, Rules]:
    rng = np.random.default_rng(5)
    lineups = [sorted(rng.choice(30, size=9, replace=False).tolist()) for _ in range(80)]
    statistic = rng.normal(100.0, 10.0, size=80)
    teams = (TeamLimit("A", tuple(range(10)), 3, max_count=4, min_count=0),)
    rules = Rules(
        n_lineups=10,
        size=9,
        min_unique=3,
        max_counts=np.full(30, 5),
        min_counts=np.zeros(30, dtype=np.int64),
        teams=teams,
    )
    return lineups, statistic, rules


def test_starved_choice_obeys_the_rules(starve_cp_sat: Callable[[], None]) -> None:
    """The greedy fallback keeps min_unique, the exposure and the team limits, best first."""
    lineups, statistic, rules = _portfolio_case()
    starve_cp_sat()

    kept = choose(lineups, statistic, 30, rules, NO_BUDGET)

    chosen = [set(lineups[c]) for c in kept]
    assert kept[0] == int(np.argmax(statistic))
    assert [statistic[c] for c in kept] == sorted((statistic[c] for c in kept), reverse=True)
    assert all(len(a & b) <= 9 - 3 for k, a in enumerate(chosen) for b in chosen[k + 1 :])
    assert max(sum(i in c for c in chosen) for i in range(30)) <= 5
    assert sum(len(c & set(range(10))) >= 3 for c in chosen) <= 4
    assert any("work limit" in warning for warning in rules.warnings)


def test_proven_choice_gives_no_work_limit_warning() -> None:
    """An unstarved selection of the same case is proven and says nothing of limits."""
    lineups, statistic, rules = _portfolio_case()

    kept = choose(lineups, statistic, 30, rules, NO_BUDGET)

    assert kept
    assert not any("work limit" in warning for warning in rules.warnings)


def test_selection_has_no_wall_clock_limit(nfl: list[dict], solver_parameters: list) -> None:
    """The selection's CP-SAT runs one worker under a work limit and no clock limit."""
    optimize(nfl, OptimizeOptions(n_lineups=5, n_scenarios=100, seed=1))

    assert solver_parameters
    for parameters in solver_parameters:
        assert parameters.num_workers == 1
        assert math.isinf(parameters.max_time_in_seconds)
        assert 0 < parameters.max_deterministic_time < math.inf


def test_lineup_model_has_no_wall_clock_limit(nfl: list[dict], solver_parameters: list) -> None:
    """The lineup model's CP-SAT runs one worker under a work limit and no clock limit."""
    slate = Slate(to_players(nfl), game_type("nfl"))

    PoolModel(slate, range(len(slate)), slate.scaled(slate.projections)).solve()

    assert solver_parameters
    for parameters in solver_parameters:
        assert parameters.num_workers == 1
        assert math.isinf(parameters.max_time_in_seconds)
        assert 0 < parameters.max_deterministic_time < math.inf


def test_starved_lineup_model_is_an_error_not_infeasible(
    nfl: list[dict], starve_cp_sat: Callable[[], None]
) -> None:
    """A lineup solve stopped before any lineup fails as such, never as "infeasible"."""
    slate = Slate(to_players(nfl), game_type("nfl"))
    model = PoolModel(slate, range(len(slate)), slate.scaled(slate.projections))
    starve_cp_sat()

    with pytest.raises(OptimizerError, match="work limit") as caught:
        model.solve()

    assert not isinstance(caught.value, InfeasibleError)


def test_exact_lineups_kept_without_proof_are_named(
    nfl: list[dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lineups CP-SAT keeps at its work limit without a proof come back with a warning."""
    options = OptimizeOptions(n_lineups=3, n_scenarios=0, min_unique=2)
    monkeypatch.setattr(lineup_search, "DFS_POOL", 0)  # every pool goes to CP-SAT
    expected = optimize(nfl, options)
    real = cp_model.CpSolver.solve

    def solve(self: cp_model.CpSolver, *args: object, **kwargs: object) -> object:
        status = real(self, *args, **kwargs)
        return cp_model.FEASIBLE if status == cp_model.OPTIMAL else status

    monkeypatch.setattr(cp_model.CpSolver, "solve", solve)

    result = optimize(nfl, options)

    assert _lineup_ids(result) == _lineup_ids(expected)
    assert _warned(result, "work limit")
    assert not _warned(expected, "work limit")


BURN = "import os, sys\nos.sched_setaffinity(0, {int(sys.argv[1])})\nwhile True:\n    pass\n"


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_same_request_and_seed_give_the_same_lineups_under_load() -> None:
    """A run sharing its core with three CPU burners gives the lineups of a run alone."""
    players = nfl_slate(seed=1, games=12)
    options = OptimizeOptions(n_lineups=150, n_scenarios=1000, seed=1, selection="best_frequency")
    alone = optimize(players, options)
    core = min(os.sched_getaffinity(0))
    before = os.sched_getaffinity(0)
    burners = [
        subprocess.Popen([sys.executable, "-c", BURN, str(core)], start_new_session=True)
        for _ in range(3)
    ]
    try:
        os.sched_setaffinity(0, {core})
        loaded = optimize(players, options)
    finally:
        os.sched_setaffinity(0, before)
        for burner in burners:
            burner.kill()
            burner.wait()

    assert _lineup_ids(loaded) == _lineup_ids(alone)
    assert loaded["warnings"] == alone["warnings"]
