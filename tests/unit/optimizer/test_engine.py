"""optimize() with simulation: result shape, selection rules, progress and resuming."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from tests.unit.optimizer.validator import lineup_problems
from webapp.optimizer import Checkpoint, OptimizeOptions, optimize

STATS = {"mean", "stdev", "p50", "p90", "p99", "best_frequency"}


class MemoryCheckpoint:
    """Keeps the last saved state, as a job store would."""

    def __init__(self) -> None:
        self.state: dict[str, Any] | None = None
        self.saves = 0

    def load(self) -> dict[str, Any] | None:
        return self.state

    def save(self, state: dict[str, Any]) -> None:
        self.state = state
        self.saves += 1


class Stop(Exception):
    """Raised by a progress callback to stop a run."""


def _stop_after(calls: int) -> Any:
    seen = []

    def progress(fraction: float, phase: str) -> None:
        seen.append(phase)
        if len(seen) > calls:
            raise Stop

    return progress


def _simulated(**changes: Any) -> OptimizeOptions:
    return OptimizeOptions(**{"n_lineups": 5, "n_scenarios": 600, "seed": 4, **changes})


@pytest.fixture(scope="module")
def simulated(nfl: list[dict]) -> dict:
    """The result of the default simulated request, computed once."""
    return optimize(nfl, _simulated())


def test_result_shape(simulated: dict) -> None:
    """A simulated result carries lineups with statistics, exposures, settings and warnings."""
    result = simulated

    assert set(result) == {"lineups", "exposures", "settings", "n_candidates", "warnings"}
    assert len(result["lineups"]) == 5 and result["warnings"] == []
    assert result["settings"]["seed"] == 4 and result["n_candidates"] >= 5
    for lineup in result["lineups"]:
        assert set(lineup) >= STATS
        assert lineup["p50"] <= lineup["p90"] <= lineup["p99"]


def test_simulated_lineups_are_valid(nba: list[dict]) -> None:
    """Every simulated lineup passes the independent validator."""
    result = optimize(nba, _simulated(sport="nba"))

    players = {p["id"]: p for p in nba}
    for lineup in result["lineups"]:
        assert lineup_problems(lineup, players, "nba") == []


def test_same_seed_same_result(nfl: list[dict], simulated: dict) -> None:
    """The same request and seed give the same result."""
    assert optimize(nfl, _simulated()) == simulated


def test_other_seed_other_statistics(nfl: list[dict], simulated: dict) -> None:
    """Another seed simulates other outcomes."""
    other = optimize(nfl, _simulated(seed=5))

    assert simulated["lineups"][0]["p90"] != other["lineups"][0]["p90"]


def test_missing_seed_is_derived_from_the_request(nfl: list[dict]) -> None:
    """Without a seed, equal requests still agree and the seed used is reported."""
    first = optimize(nfl, _simulated(seed=None))

    assert first == optimize(nfl, _simulated(seed=None))
    assert isinstance(first["settings"]["seed"], int)


@pytest.mark.parametrize("selection", ["mean", "percentile", "best_frequency"])
def test_selection_orders_lineups(nfl: list[dict], selection: str) -> None:
    """Lineups come in the order of the selection rule's score."""
    key = {"mean": "mean", "percentile": "p90", "best_frequency": "best_frequency"}[selection]

    result = optimize(nfl, _simulated(selection=selection, percentile=90))

    values = [lineup[key] for lineup in result["lineups"]]
    assert values == sorted(values, reverse=True)


def test_simulated_uniqueness_and_exposure(nfl: list[dict]) -> None:
    """Chosen lineups respect min_unique and max_exposure."""
    result = optimize(nfl, _simulated(n_lineups=6, min_unique=2, max_exposure=0.5))

    sets = [{e["id"] for e in lineup["players"]} for lineup in result["lineups"]]
    assert all(len(a - b) >= 2 for a, b in itertools.combinations(sets, 2))
    assert max(result["exposures"].values()) <= 0.5


def test_progress_reports_phases_in_order(nfl: list[dict]) -> None:
    """Progress rises from 0 to 1 through simulating, building and selecting."""
    calls: list[tuple[float, str]] = []

    optimize(nfl, _simulated(), progress=lambda f, p: calls.append((f, p)))

    phases = [p for _, p in calls]
    fractions = [f for f, _ in calls]
    assert [k for k, _ in itertools.groupby(phases)] == ["simulating", "building", "selecting"]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_progress_exception_propagates(nfl: list[dict]) -> None:
    """An exception raised by the progress callback stops the run."""
    with pytest.raises(Stop):
        optimize(nfl, _simulated(), progress=_stop_after(3))


@pytest.mark.parametrize(("n_scenarios", "calls"), [(0, 4), (600, 25)], ids=["exact", "simulated"])
def test_resume_equals_uninterrupted(nfl: list[dict], n_scenarios: int, calls: int) -> None:
    """A run stopped part way and resumed from its checkpoint gives the same result."""
    options = _simulated(n_lineups=8, n_scenarios=n_scenarios)
    checkpoint: Checkpoint = MemoryCheckpoint()
    with pytest.raises(Stop):
        optimize(nfl, options, progress=_stop_after(calls), checkpoint=checkpoint)
    assert checkpoint.state is not None

    resumed = optimize(nfl, options, checkpoint=checkpoint)

    assert resumed == optimize(nfl, options)


def test_checkpoint_of_another_request_is_ignored(nfl: list[dict]) -> None:
    """A saved state only resumes the request that saved it."""
    checkpoint = MemoryCheckpoint()
    optimize(nfl, _simulated(n_scenarios=0), checkpoint=checkpoint)

    result = optimize(nfl, _simulated(n_scenarios=0, min_unique=3), checkpoint=checkpoint)

    assert result == optimize(nfl, _simulated(n_scenarios=0, min_unique=3))


def test_checkpoint_state_is_small_json(nfl: list[dict]) -> None:
    """Saved states are plain JSON: candidate ids, not scenario matrices."""
    import json

    checkpoint = MemoryCheckpoint()
    optimize(nfl, _simulated(), checkpoint=checkpoint)

    text = json.dumps(checkpoint.state)
    assert len(text) < 20_000 and checkpoint.saves >= 1
