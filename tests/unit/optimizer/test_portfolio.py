"""Portfolio rules and run options: min_exposure, time budget, seeds, request schema."""

from __future__ import annotations

import math

import pytest
from marshmallow import ValidationError

from webapp.api.schemas import load_optimize_request
from webapp.optimizer import OptimizeOptions, optimize


def _count(result: dict, player_id: str) -> int:
    return sum(player_id in {e["id"] for e in x["players"]} for x in result["lineups"])


@pytest.mark.parametrize("n_scenarios", [0, 200], ids=["exact", "simulated"])
def test_min_exposure_is_met(nfl: list[dict], n_scenarios: int) -> None:
    """A player with a minimum exposure is in at least that share of the lineups."""
    cheap = min((p for p in nfl if p["positions"] == ["WR"]), key=lambda p: p["projection"])
    options = OptimizeOptions(
        n_lineups=6, n_scenarios=n_scenarios, seed=1, min_exposure={cheap["id"]: 0.5}
    )

    result = optimize(nfl, options)

    assert len(result["lineups"]) == 6
    assert _count(result, cheap["id"]) >= math.ceil(0.5 * 6)


def test_spent_time_budget_returns_lineups_so_far_with_a_warning(nfl: list[dict]) -> None:
    """A run whose budget runs out returns the lineups found so far and says so."""
    options = OptimizeOptions(n_lineups=150, n_scenarios=0, min_unique=3, time_budget_seconds=0.3)

    result = optimize(nfl, options)

    assert 1 <= len(result["lineups"]) < 150
    assert any("time budget" in warning for warning in result["warnings"])


def test_limiting_rule_is_named(nfl: list[dict]) -> None:
    """When the rules allow fewer lineups than asked, the warning names the rule."""
    options = OptimizeOptions(n_lineups=20, n_scenarios=100, seed=1, min_unique=9)

    result = optimize(nfl, options)

    assert len(result["lineups"]) < 20
    assert any("min_unique" in warning for warning in result["warnings"])


def test_derived_seed_ignores_projections(nfl: list[dict]) -> None:
    """Without a seed, editing a projection keeps the seed (the same scenarios are drawn)."""
    edited = [dict(p) for p in nfl]
    edited[0]["projection"] += 3.0
    options = OptimizeOptions(n_lineups=1, n_scenarios=50)

    first = optimize(nfl, options)["settings"]["seed"]

    assert optimize(edited, options)["settings"]["seed"] == first
    assert optimize(nfl, OptimizeOptions(n_lineups=2, n_scenarios=50))["settings"]["seed"] != first


def _body(**changes: object) -> dict:
    return {"slate_id": "s1", **changes}


def test_schema_accepts_min_exposure_and_correlation() -> None:
    """The request schema takes min_exposure and correlation overrides."""
    loaded = load_optimize_request(
        _body(min_exposure={"p1": 0.2}, correlation={"QB": {"pass": 0.6}})
    )

    assert loaded.options.min_exposure == {"p1": 0.2}
    assert loaded.options.correlation == {"QB": {"pass": 0.6}}


@pytest.mark.parametrize(
    "correlation",
    [{"QB": {"spin": 0.1}}, {"QB": {"rush": 0.9}}, {"QB": {"pass": 1.5}}],
    ids=["unknown-factor", "too-strong-in-sum", "out-of-range"],
)
def test_schema_refuses_bad_correlation(correlation: dict) -> None:
    """Unknown factors, out-of-range loadings and loadings without room are refused."""
    with pytest.raises(ValidationError) as caught:
        load_optimize_request(_body(correlation=correlation))

    assert "correlation" in caught.value.messages
