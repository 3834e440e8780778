"""The modelled field: ownership matched, salaries near the cap, stacks, optimizer entries."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from bench.slates import nba_slate, nfl_slate, with_ownership
from webapp.contest.field import FieldKnobs, field_summary, given_field, model_field
from webapp.contest.slate import ContestSlate, LineupError


@pytest.fixture(scope="module")
def big_nfl() -> ContestSlate:
    """The benchmark's 12-game NFL slate (456 players) with projected ownership."""
    return ContestSlate(with_ownership(nfl_slate(seed=1), "nfl"), "nfl")


@pytest.fixture(scope="module")
def nfl_field(big_nfl: ContestSlate) -> tuple[Any, dict[str, Any], np.ndarray]:
    """A 10,000-entry field of the big slate, with its summary and player shares."""
    built = model_field(big_nfl, 10_000, FieldKnobs(), np.random.default_rng(3))
    summary, shares = field_summary(big_nfl, built, 10_150)
    return built, summary, shares


def test_field_ownership_is_within_two_points_of_the_projection(
    big_nfl: ContestSlate, nfl_field: tuple
) -> None:
    """Each player's share of the field's entries is within 2 points of his projected
    ownership on average (mean absolute error), and the summary reports that error."""
    _, summary, shares = nfl_field

    error = np.abs(shares - big_nfl.ownership) * 100

    assert len(big_nfl) >= 450
    assert error.mean() <= 2.0
    assert summary["ownership_mae"] == pytest.approx(error.mean(), abs=1e-3)
    assert summary["ownership_max_error"] == pytest.approx(error.max(), abs=1e-3)


def test_field_lineups_keep_the_rules_and_most_use_the_cap(
    big_nfl: ContestSlate, nfl_field: tuple
) -> None:
    """Every field lineup is a valid DraftKings lineup; most leave under $1,000 of the cap."""
    built, summary, _ = nfl_field

    problems = [big_nfl.problem(row) for row in built.lineups.tolist()]
    near_cap = sum(row["pct"] for row in summary["salary_histogram"][:2])

    assert problems == [None] * len(built.lineups)
    assert built.entries == 10_000 and summary["entries"] == 10_000
    assert near_cap >= 75.0
    assert sum(row["pct"] for row in summary["salary_histogram"]) == pytest.approx(100, abs=0.1)


def test_field_stacks_and_optimizer_entries(big_nfl: ContestSlate, nfl_field: tuple) -> None:
    """Most NFL entries pair a QB with a pass catcher of his team, some are optimizer-built
    (and duplicated), and the field is stored as unique lineups with counts."""
    built, summary, _ = nfl_field

    assert 55.0 <= summary["stack_pct"] <= 90.0
    assert 0 < built.optimizer_entries <= 2_000
    assert summary["max_copies"] > 1
    assert summary["unique_lineups"] == len(built.lineups) < built.entries


def test_nba_field_keeps_multi_position_rules() -> None:
    """NBA lineups (players eligible for several slots) are all valid; no stacks asked."""
    slate = ContestSlate(with_ownership(nba_slate(seed=2, games=4), "nba"), "nba")
    knobs = FieldKnobs(calibration_lineups=2000, calibration_rounds=4, optimizer_builds=4)

    built = model_field(slate, 1000, knobs, np.random.default_rng(0))
    summary, _ = field_summary(slate, built, 1000)

    assert [slate.problem(row) for row in built.lineups.tolist()] == [None] * len(built.lineups)
    assert built.entries == 1000 and "stack_pct" not in summary


def test_given_field_is_kept_as_is(big_nfl: ContestSlate) -> None:
    """Field lineups given by id become unique lineups with their counts, nothing added."""
    rows = model_field(
        big_nfl,
        50,
        FieldKnobs(optimizer_share=0, calibration_lineups=500, calibration_rounds=1),
        np.random.default_rng(1),
    )
    lineups = [big_nfl.ids(row) for row in rows.lineups.tolist()]
    entries = [lineups[0]] * 3 + lineups[1:]

    given = given_field(big_nfl, entries)

    assert given.source == "given" and given.entries == len(entries)
    assert given.copies(np.array([sorted(big_nfl.index[i] for i in lineups[0])])).tolist() == [3]
    assert len(given.lineups) == len(lineups)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda ids: ids[:-1], "holds 9 different players"),
        (lambda ids: [*ids[:-1], "nobody"], "not in the slate"),
        (lambda ids: [*ids[:-1], ids[0]], "holds 9 different players"),
    ],
    ids=["short", "unknown", "repeated"],
)
def test_a_bad_field_lineup_is_refused(big_nfl: ContestSlate, change, message: str) -> None:
    """A given lineup that is not a lineup of the slate is named, never guessed at."""
    ids = big_nfl.ids(sorted(range(9)))

    with pytest.raises(LineupError, match=message):
        given_field(big_nfl, [change(ids)])
