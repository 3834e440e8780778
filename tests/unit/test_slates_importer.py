"""DraftKings salary CSV import: DraftKings' own header, odd rows, errors by line and column."""

from __future__ import annotations

import pytest

from webapp.api.player_schema import MAX_PLAYERS
from webapp.slates.importer import (
    PlayerBoundsError,
    SlateFileError,
    TooManyPlayersError,
    parse_dk_csv,
    read_dk_csv,
)

HEADER = (
    "Position,Name + ID,Name,ID,Roster Position,Salary,Game Info,TeamAbbrev,AvgPointsPerGame,Proj"
)
CSV = "\n".join(
    [
        HEADER,
        "QB,Josh Allen (1),Josh Allen,1,QB,8200,BUF@MIA 09/10/2023 01:00PM ET,BUF,24.1,26.5",
        "WR,Tyreek Hill (2),Tyreek Hill,2,WR/FLEX,8800,BUF@MIA 09/10/2023 01:00PM ET,MIA,21.0,22.0",
        "PG/SF,Wing (3),Wing,3,PG/SF/G/F/UTIL,6000,LAL@BOS 10/01/2023 07:30PM ET,BOS,30,31",
    ]
)
# DraftKings' export as downloaded: BOM, CRLF, a quoted name with a comma, a rookie with no
# average, a DST, and the trailing blank line.
DK_EXPORT = (
    "\ufeffPosition,Name + ID,Name,ID,Roster Position,Salary,Game Info,TeamAbbrev,"
    "AvgPointsPerGame\r\n"
    "QB,Kenny Pickett (32361001),Kenny Pickett,32361001,QB,5400,PIT@CAR 10/13/2024 01:00PM ET,"
    "PIT,15.12\r\n"
    'WR,"Brown, A.J. (32361002)","Brown, A.J.",32361002,WR/FLEX,8000,'
    "PIT@CAR 10/13/2024 01:00PM ET,PIT,19.5\r\n"
    "RB,Rookie Back (32361003),Rookie Back,32361003,RB/FLEX,4000,PIT@CAR 10/13/2024 01:00PM ET,"
    "CAR,\r\n"
    "DST,Panthers (32361004),Panthers,32361004,DST,2500,PIT@CAR 10/13/2024 01:00PM ET,CAR,5.0\r\n"
    "\r\n"
)


def test_rows_become_players_with_opponents() -> None:
    """Team and opponent come from TeamAbbrev and Game Info; multi-positions are split."""
    players = parse_dk_csv(CSV)

    assert players[0] == {
        "id": "1", "name": "Josh Allen", "positions": ["QB"], "salary": 8200, "team": "BUF",
        "opponent": "MIA", "projection": 24.1, "stdev": None, "ownership": None,
        "game_time": "2023-09-10T17:00:00Z",
    }  # fmt: skip
    assert (players[1]["team"], players[1]["opponent"]) == ("MIA", "BUF")
    assert players[2]["positions"] == ["PG", "SF"]


def test_projection_column_can_be_chosen() -> None:
    """A projection column other than AvgPointsPerGame is used when named."""
    assert [p["projection"] for p in parse_dk_csv(CSV, "Proj")] == [26.5, 22.0, 31.0]


def test_draftkings_export_with_its_odd_rows() -> None:
    """BOM, CRLF, a quoted name with a comma and a blank last line read as DraftKings meant."""
    parsed = read_dk_csv(DK_EXPORT, "nfl")

    assert [p["id"] for p in parsed.players] == ["32361001", "32361002", "32361003", "32361004"]
    assert parsed.players[1]["name"] == "Brown, A.J."
    assert parsed.players[3]["positions"] == ["DST"]
    assert parsed.players[0]["game_time"] == "2024-10-13T17:00:00Z"  # 1:00 PM EDT


def test_a_missing_projection_is_zero_with_a_warning() -> None:
    """A player without an average (a rookie) gets 0 and the upload says so."""
    parsed = read_dk_csv(DK_EXPORT, "nfl")

    assert parsed.players[2]["projection"] == 0.0
    assert parsed.warnings == ["line 4: Rookie Back (32361003) has no projection; 0 used"]


def test_eastern_time_after_daylight_saving_ends() -> None:
    """Game Info is Eastern time: 1:00 PM in December is 18:00 UTC."""
    text = CSV.replace("09/10/2023 01:00PM", "12/10/2023 01:00PM")

    assert parse_dk_csv(text)[0]["game_time"] == "2023-12-10T18:00:00Z"


def test_optional_columns_are_merged_by_row() -> None:
    """Projection, Stdev and Ownership columns a user added are taken when present."""
    text = "\n".join(
        [
            HEADER.replace(",Proj", ",Projection,Stdev,Ownership"),
            "QB,A (1),A,1,QB,8200,BUF@MIA 09/10/2023 01:00PM ET,BUF,24.1,26.5,7.5,12.5",
            "QB,B (2),B,2,QB,8000,BUF@MIA 09/10/2023 01:00PM ET,MIA,20.0,,,",
        ]
    )

    a, b = read_dk_csv(text, "nfl").players

    assert (a["projection"], a["stdev"], a["ownership"]) == (26.5, 7.5, 12.5)
    assert (b["projection"], b["stdev"], b["ownership"]) == (20.0, None, None)


@pytest.mark.parametrize(
    ("text", "sport", "line", "column", "message"),
    [
        ("Position,Name\nQB,x", None, 1, None, "missing columns"),
        (CSV.replace("8200", "lots"), None, 2, "Salary", "not a number"),
        (
            CSV.replace("BUF@MIA 09/10/2023 01:00PM ET,BUF", "KC@DEN 09/10/2023 01:00PM ET,BUF"),
            None,
            2,
            "Game Info",
            "cannot find team",
        ),
        (CSV.replace(",2,WR/FLEX", ",1,WR/FLEX"), None, 3, "ID", "duplicate id '1'"),
        (CSV.replace("QB,Josh", "K,Josh"), "nfl", 2, "Position", "unknown position"),
        (CSV.replace("09/10/2023", "13/45/2023"), None, 2, "Game Info", "no such date"),
        (HEADER + "\n", None, 2, None, "no players"),
        ("\r\xfa\U000f02e2\xe5", None, 1, None, "no header"),
        ('Position,"Name\n', None, 1, None, "missing columns"),
    ],
    ids=["missing-columns", "bad-salary", "team-not-in-game", "duplicate-id", "kicker", "date",
         "empty", "stray-carriage-return", "unclosed-quote"],
)  # fmt: skip
def test_bad_files_name_line_and_column(
    text: str, sport: str | None, line: int, column: str | None, message: str
) -> None:
    """A bad file fails naming the line and column at fault."""
    with pytest.raises(SlateFileError, match=message) as failure:
        read_dk_csv(text, sport)

    assert (failure.value.line, failure.value.column) == (line, column)


# Josh Allen's row of CSV, which takes its projection from the Proj column (26.5).
ALLEN = "QB,Josh Allen (1),Josh Allen,1,QB,8200,BUF@MIA 09/10/2023 01:00PM ET,BUF,24.1,26.5"


@pytest.mark.parametrize(
    ("row", "column", "rule"),
    [
        (ALLEN.replace(",8200,", ",100001,"), "Salary", "less than or equal to 100000"),
        (ALLEN.replace(",8200,", ",-100,"), "Salary", "greater than or equal to 0"),
        (ALLEN.replace(",26.5", ",nan"), "Proj", "nan or infinity"),
        (ALLEN.replace(",26.5", ",-inf"), "Proj", "nan or infinity"),
        (ALLEN.replace(",26.5", ",1e400"), "Proj", "nan or infinity"),
        (ALLEN.replace(",26.5", ",1000.5"), "Proj", "less than or equal to 1000"),
        (ALLEN.replace(",Josh Allen,", f",{'J' * 101},"), "Name", "Length must be between 1"),
        (ALLEN.replace(",Josh Allen,1,", ",Josh Allen,1/2,"), "ID", "does not match"),
    ],
    ids=["salary-high", "salary-negative", "nan", "minus-inf", "overflow", "projection-high",
         "long-name", "bad-id"],
)  # fmt: skip
def test_a_player_out_of_bounds_names_line_column_and_rule(
    row: str, column: str, rule: str
) -> None:
    """A row that reads but breaks a bound of the request's players (the same bounds as inline
    players) fails naming its line, its column and the rule."""
    text = CSV.replace(ALLEN, row)

    with pytest.raises(PlayerBoundsError, match=rule) as failure:
        read_dk_csv(text)

    assert (failure.value.line, failure.value.column) == (2, column)
    assert str(failure.value).startswith(f"line 2, column {column!r}: ")


def _rows(count: int) -> str:
    """A salary file of `count` players (ids 1..count) over two games."""
    rows = [
        f"QB,P{i} ({i}),P{i},{i},QB,5000,BUF@MIA 09/10/2023 01:00PM ET,BUF,10,12"
        for i in range(1, count + 1)
    ]
    return "\n".join([HEADER, *rows])


def test_a_file_of_max_players_reads() -> None:
    """MAX_PLAYERS rows are a slate (the bound inline players have)."""
    assert len(parse_dk_csv(_rows(MAX_PLAYERS))) == MAX_PLAYERS


def test_a_file_over_max_players_fails_at_the_first_row_over() -> None:
    """The row after the MAX_PLAYERS-th player fails, naming its line and the bound."""
    with pytest.raises(TooManyPlayersError, match=f"at most {MAX_PLAYERS} players") as failure:
        read_dk_csv(_rows(MAX_PLAYERS + 5))

    assert (failure.value.line, failure.value.limit) == (MAX_PLAYERS + 2, MAX_PLAYERS)


# A DraftKings NFL Showdown export: each player twice, a CPT row at 1.5x and a FLEX row, both
# with the player's own average; kickers play.
SHOWDOWN = "\r\n".join(
    [
        "Position,Name + ID,Name,ID,Roster Position,Salary,Game Info,TeamAbbrev,AvgPointsPerGame",
        "QB,Josh Allen (101),Josh Allen,101,CPT,17400,BUF@MIA 09/10/2023 08:15PM ET,BUF,24.1",
        "QB,Josh Allen (102),Josh Allen,102,FLEX,11600,BUF@MIA 09/10/2023 08:15PM ET,BUF,24.1",
        "K,Jason Sanders (103),Jason Sanders,103,CPT,6300,BUF@MIA 09/10/2023 08:15PM ET,MIA,7.5",
        "K,Jason Sanders (104),Jason Sanders,104,FLEX,4200,BUF@MIA 09/10/2023 08:15PM ET,MIA,7.5",
    ]
)


def test_a_showdown_file_keeps_each_rows_slot_kind() -> None:
    """Each row is its own player with its own id and salary, its Roster Position kept as
    roster_position; the captain's projection is the player's own (the optimizer counts it
    1.5 times)."""
    players = read_dk_csv(SHOWDOWN, "nfl", contest_type="showdown").players

    rows = [(p["id"], p["roster_position"], p["salary"], p["projection"]) for p in players]
    assert rows[:2] == [("101", "CPT", 17400, 24.1), ("102", "FLEX", 11600, 24.1)]
    assert players[2]["positions"] == ["K"]


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        (SHOWDOWN.replace(",Roster Position", ",Slot"), 1, None, "Roster Position"),
        (SHOWDOWN.replace(",104,FLEX,", ",104,UTIL,"), 5, "Roster Position", "'UTIL' is not"),
        (SHOWDOWN.replace(",102,FLEX,", ",102,CPT,"), 3, "Roster Position", "duplicate CPT row"),
    ],
    ids=["no-roster-position", "nba-slot-in-nfl", "two-captain-rows"],
)
def test_bad_showdown_files_name_line_and_column(
    text: str, line: int, column: str | None, message: str
) -> None:
    """A showdown file needs Roster Position, of the game type's slots, one row per kind."""
    with pytest.raises(SlateFileError, match=message) as failure:
        read_dk_csv(text, "nfl", contest_type="showdown")

    assert (failure.value.line, failure.value.column) == (line, column)
