"""DraftKings salary CSV import."""

from __future__ import annotations

import pytest

from webapp.slates.importer import SlateFileError, parse_dk_csv

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


def test_rows_become_players_with_opponents() -> None:
    """Team and opponent come from TeamAbbrev and Game Info; multi-positions are split."""
    players = parse_dk_csv(CSV)

    assert players[0] == {
        "id": "1", "name": "Josh Allen", "positions": ["QB"], "salary": 8200, "team": "BUF",
        "opponent": "MIA", "projection": 24.1, "stdev": None,
    }  # fmt: skip
    assert (players[1]["team"], players[1]["opponent"]) == ("MIA", "BUF")
    assert players[2]["positions"] == ["PG", "SF"]


def test_projection_column_can_be_chosen() -> None:
    """A projection column other than AvgPointsPerGame is used when named."""
    assert [p["projection"] for p in parse_dk_csv(CSV, "Proj")] == [26.5, 22.0, 31.0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Position,Name\nQB,x", "missing columns"),
        (CSV.replace("8200", "lots"), "row 2"),
        (CSV.replace("BUF@MIA 09/10/2023 01:00PM ET,BUF", "KC@DEN 09/10,BUF"), "row 2"),
    ],
    ids=["missing-columns", "bad-salary", "team-not-in-game"],
)
def test_bad_files_name_the_problem(text: str, message: str) -> None:
    """A bad file fails with the column or row at fault."""
    with pytest.raises(SlateFileError, match=message):
        parse_dk_csv(text)
