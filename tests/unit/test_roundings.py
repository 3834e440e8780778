"""Exposure caps that are not a whole number of lineups are reported, one warning each."""

from __future__ import annotations

import pytest

from webapp.lineups.roundings import exposure_warnings


@pytest.mark.parametrize(
    ("job_input", "expected"),
    [
        (
            {"n_lineups": 5, "max_exposure": 0.1},
            ["max_exposure 0.1 of 5 lineups is 0.5 lineups; raised to 1 (0.2 of the lineups)"],
        ),
        (
            {"n_lineups": 5, "max_exposure": 0.5},
            [
                "max_exposure 0.5 of 5 lineups is 2.5 lineups; "
                "rounded down to 2 (0.4 of the lineups)"
            ],
        ),
        ({"n_lineups": 10, "max_exposure": 0.3}, []),
        ({"n_lineups": 1, "max_exposure": 1.0}, []),
        (
            {"n_lineups": 4, "exposure": {"p1": 0.1, "p2": 0.5, "p3": 0.0}},
            ["exposure of p1 0.1 of 4 lineups is 0.4 lineups; raised to 1 (0.25 of the lineups)"],
        ),
        ({"n_lineups": 4, "exposure": {"p1": 0.1}, "locks": ["p1"]}, []),
    ],
    ids=["below-one", "fraction", "whole-despite-float-error", "default", "per-player", "locked"],
)
def test_exposure_warnings(job_input: dict, expected: list[str]) -> None:
    """Each rounding of an exposure cap is named with what was asked and what is allowed."""
    assert exposure_warnings(job_input) == expected
