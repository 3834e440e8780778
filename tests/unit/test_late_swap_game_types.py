"""Late swap in every game type: started players keep their slots, newcomers play later, and
every swapped lineup obeys the game type's rules."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.dk_csv import game_type_csv
from tests.unit.optimizer.validator import lineup_problems
from webapp.lineups.job import make_optimize_job
from webapp.lineups.late_swap import check_late_swap
from webapp.lineups.refusals import SubmitRefusedError
from webapp.slates.importer import read_dk_csv

# Games at 7:05 and 10:10 PM Eastern on 10/13/2024 (23:05 and 02:10 UTC); 8 PM is 00:00 UTC.
KICKOFFS = ("07:05PM", "10:10PM")
EIGHT_PM, SIX_PM = "2024-10-14T00:00:00Z", "2024-10-13T22:00:00Z"
GAME_TYPES = [("nfl", "showdown"), ("nba", "showdown"), ("mlb", "classic"), ("nhl", "classic")]
IDS = [f"{s}-{c}" for s, c in GAME_TYPES]


class _Context:
    checkpoint = None

    def progress(self, fraction: float, phase: str = "") -> None:
        """Progress goes nowhere."""


def _players(sport: str, contest: str) -> list[dict[str, Any]]:
    text = game_type_csv(sport, contest, kickoffs=KICKOFFS)
    return read_dk_csv(text, sport, contest_type=contest).players


def _run(players: list[dict], sport: str, contest: str, **request: Any) -> list[list[str]]:
    job_input = {"players": players, "sport": sport, "contest_type": contest, "n_scenarios": 0}
    result = make_optimize_job(None)({**job_input, **request}, _Context())
    return [[p["id"] for p in lineup["players"]] for lineup in result["lineups"]]


def _lineup(ids: list[str], header: list[str], by_id: dict) -> dict[str, Any]:
    return {
        "players": [{"slot": s, "id": i} for s, i in zip(header, ids, strict=True)],
        "salary": sum(by_id[i]["salary"] for i in ids),
        "projection": sum(
            by_id[i]["projection"] * (1.5 if s == "CPT" else 1)
            for s, i in zip(header, ids, strict=True)
        ),
    }


@pytest.mark.parametrize(("sport", "contest"), GAME_TYPES, ids=IDS)
def test_started_players_stay_and_newcomers_play_later(sport: str, contest: str) -> None:
    """At 8 PM the 7:05 PM players keep their slots (a showdown's one game has started: every
    lineup comes back as it was); the first lineup's 10:10 PM players, ruled out, are
    replaced by others of 10:10 PM games; every lineup is valid."""
    players = _players(sport, contest)
    by_id = {p["id"]: p for p in players}
    before = _run(players, sport, contest, n_lineups=4, min_unique=2)
    ruled_out = [i for i in before[0] if by_id[i]["game_time"] > EIGHT_PM]
    swap = {"now": EIGHT_PM, "lineups": before}

    after = _run(players, sport, contest, min_unique=2, excludes=ruled_out, late_swap=swap)

    header = _header(sport, contest)
    for old, new in zip(before, after, strict=True):
        for slot, player_id in enumerate(old):
            if by_id[player_id]["game_time"] <= EIGHT_PM:
                assert new[slot] == player_id
        assert all(by_id[i]["game_time"] > EIGHT_PM for i in set(new) - set(old))
        assert lineup_problems(_lineup(new, header, by_id), by_id, sport, contest) == []
    if contest == "showdown":
        assert after == before and not ruled_out
    else:
        assert ruled_out and not set(ruled_out) & set(after[0])


@pytest.mark.parametrize("sport", ["nfl", "nba"])
def test_a_showdown_swapped_before_the_game_is_built_again(sport: str) -> None:
    """Before kick-off nothing is fixed: each lineup is rebuilt, its captain from a CPT row."""
    players = _players(sport, "showdown")
    by_id = {p["id"]: p for p in players}
    before = _run(players, sport, "showdown", n_lineups=3, min_unique=2)

    after = _run(
        players, sport, "showdown", min_unique=2, late_swap={"now": SIX_PM, "lineups": before}
    )

    header = _header(sport, "showdown")
    assert len(after) == 3
    for lineup in after:
        assert by_id[lineup[0]]["roster_position"] == "CPT"
        assert lineup_problems(_lineup(lineup, header, by_id), by_id, sport, "showdown") == []


def test_a_flex_row_in_the_captain_slot_is_refused() -> None:
    """A late-swap lineup naming a FLEX row as captain is refused at submit."""
    players = _players("nfl", "showdown")
    lineup = _run(players, "nfl", "showdown", n_lineups=1)[0]
    by_id = {p["id"]: p for p in players}
    captain = by_id[lineup[0]]
    flex_row = next(
        p["id"] for p in players if p["name"] == captain["name"] and p["id"] != captain["id"]
    )
    job_input = {
        "players": players, "sport": "nfl", "contest_type": "showdown", "n_lineups": 1,
        "late_swap": {"now": SIX_PM, "lineups": [[flex_row, *lineup[1:]]]},
    }  # fmt: skip

    with pytest.raises(SubmitRefusedError) as refused:
        check_late_swap(job_input)

    assert refused.value.refusals[0].code == "late_swap_invalid_lineup"


def _header(sport: str, contest: str) -> list[str]:
    return {
        ("nfl", "showdown"): ["CPT"] + ["FLEX"] * 5,
        ("nba", "showdown"): ["CPT"] + ["UTIL"] * 5,
        ("mlb", "classic"): ["P", "P", "C", "1B", "2B", "3B", "SS", "OF", "OF", "OF"],
        ("nhl", "classic"): ["C", "C", "W", "W", "W", "D", "D", "G", "UTIL"],
    }[(sport, contest)]
