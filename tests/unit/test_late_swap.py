"""Late swap: started players stay in their slots, the rest is re-optimized from later games."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.dk_csv import nfl_salary_csv
from tests.unit.optimizer.validator import lineup_problems
from webapp.lineups.job import make_optimize_job
from webapp.lineups.late_swap import check_late_swap, place
from webapp.lineups.refusals import SubmitRefusedError
from webapp.optimizer import game_type
from webapp.slates.importer import read_dk_csv

PLAYERS = read_dk_csv(nfl_salary_csv(seed=2), "nfl").players
BY_ID = {p["id"]: p for p in PLAYERS}
TWO_PM = "2024-10-13T18:00:00Z"


class _Context:
    checkpoint = None

    def progress(self, fraction: float, phase: str = "") -> None:
        """Progress goes nowhere."""


def _run(**request: Any) -> dict[str, Any]:
    job_input = {"players": PLAYERS, "sport": "nfl", "n_scenarios": 0, **request}
    return make_optimize_job(None)(job_input, _Context())


def _ids(result: dict[str, Any]) -> list[list[str]]:
    return [[p["id"] for p in lineup["players"]] for lineup in result["lineups"]]


@pytest.fixture(scope="module")
def early_lineups() -> list[list[str]]:
    """Six lineups built before any game started."""
    return _ids(_run(n_lineups=6, min_unique=2, max_exposure=0.5))


def test_started_players_stay_and_no_one_moves_into_a_started_game(
    early_lineups: list[list[str]],
) -> None:
    """At 2:00 PM every 1:00 PM player keeps his slot; every newcomer plays at 4:05 or later."""
    result = _run(late_swap={"now": TWO_PM, "lineups": early_lineups}, min_unique=2)

    for before, lineup in zip(early_lineups, result["lineups"], strict=True):
        after = [p["id"] for p in lineup["players"]]
        for slot, player_id in enumerate(before):
            if BY_ID[player_id]["game_time"] <= TWO_PM:
                assert after[slot] == player_id
        assert all(BY_ID[i]["game_time"] > TWO_PM for i in set(after) - set(before))
        assert lineup_problems(lineup, BY_ID, "nfl") == []
    assert len(result["lineups"]) == len(early_lineups)


def _at(position: str, early: bool) -> list[dict[str, Any]]:
    return [
        p for p in PLAYERS if p["positions"] == [position] and (p["game_time"] < TWO_PM) == early
    ]


def test_flex_gets_the_latest_starter_that_fits() -> None:
    """Of three RBs for RB, RB and FLEX, the one playing latest takes FLEX."""
    early_rbs, (late_rb, *_) = _at("RB", early=True)[:2], _at("RB", early=False)
    rest = [_at("QB", True)[0], *_at("WR", True)[:3], _at("TE", True)[0], _at("DST", True)[0]]

    placed = place(game_type("nfl"), [late_rb, *early_rbs, *rest], {})

    assert placed is not None and placed[7] == late_rb["id"]
    assert set(placed[1:3]) == {p["id"] for p in early_rbs}


def test_a_lineup_that_cannot_be_completed_is_returned_unchanged(
    early_lineups: list[list[str]],
) -> None:
    """With every late DST excluded, a lineup whose DST plays late keeps its players, warned."""
    late_dsts = [p["id"] for p in _at("DST", early=False)]
    lineup = [*early_lineups[0][:8], late_dsts[0]]

    result = _run(late_swap={"now": TWO_PM, "lineups": [lineup]}, excludes=late_dsts)

    assert _ids(result) == [lineup]
    assert result["warnings"] and "lineup 1 cannot be completed" in result["warnings"][0]


@pytest.mark.parametrize(
    ("lineups", "n_lineups", "code"),
    [
        ([["nobody"] * 9], 1, "late_swap_unknown_player"),
        ([[p["id"] for p in PLAYERS[:8]]], 1, "late_swap_invalid_lineup"),
        ([[p["id"] for p in PLAYERS[:9]]], 1, "late_swap_invalid_lineup"),
        (None, 3, "late_swap_count_mismatch"),
    ],
    ids=["unknown-id", "too-short", "wrong-slots", "count"],
)
def test_unreadable_lineups_are_refused_at_submit(
    early_lineups: list[list[str]], lineups: list | None, n_lineups: int, code: str
) -> None:
    """Lineups the slate cannot read are refused before any job exists."""
    job_input = {
        "players": PLAYERS,
        "sport": "nfl",
        "n_lineups": n_lineups,
        "late_swap": {"now": TWO_PM, "lineups": lineups or early_lineups[:1]},
    }

    with pytest.raises(SubmitRefusedError) as refused:
        check_late_swap(job_input)

    assert refused.value.refusals[0].code == code


def test_locks_that_overflow_a_lineup_leave_it_unchanged(early_lineups: list[list[str]]) -> None:
    """Started players plus the request's locks (of later games) over a roster's worth: that
    lineup cannot be completed and comes back unchanged, warned; the job does not fail."""
    lineup = next(
        x for x in early_lineups if 0 < sum(BY_ID[i]["game_time"] <= TWO_PM for i in x) < 9
    )
    started = sum(BY_ID[i]["game_time"] <= TWO_PM for i in lineup)
    late = [p["id"] for p in PLAYERS if p["game_time"] > TWO_PM and p["id"] not in lineup]

    result = _run(late_swap={"now": TWO_PM, "lineups": [lineup]}, locks=late[: 10 - started])

    assert _ids(result) == [lineup]
    assert result["warnings"] and "lineup 1 cannot be completed" in result["warnings"][0]
