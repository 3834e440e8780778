"""Requests that cannot succeed are refused at submit: 422, a code per rule, the players
involved, and no job."""

from __future__ import annotations

from collections.abc import Iterator

import fakeredis
import pytest
from flask.testing import FlaskClient

from bench.slates import mlb_slate, nfl_slate, nhl_slate, showdown_slate
from tests.conftest import close_app
from tests.support.dk_csv import nfl_salary_csv
from tests.support.fake_redis import fake_connection_kwargs
from tests.support.kinds import scripted_kinds
from webapp import create_app
from webapp.clients.redis_client import get_redis
from webapp.config import Settings
from webapp.jobs.extension import get_jobs
from webapp.lineups.refusals import check_submission

SLATE = nfl_slate(seed=5, games=3)


def _ranked(position: str) -> list[str]:
    """Ids of the slate's players at `position`, most expensive first."""
    players = (p for p in SLATE if p["positions"] == [position])
    return [p["id"] for p in sorted(players, key=lambda p: -p["salary"])]


def _top(position: str, count: int) -> list[str]:
    return _ranked(position)[:count]


def _cheapest_lineup_ids() -> list[str]:
    """The cheapest player for each of a roster's slots."""
    counts = {"QB": 1, "RB": 3, "WR": 3, "TE": 1, "DST": 1}
    return [pid for position, n in counts.items() for pid in _ranked(position)[-n:]]


@pytest.fixture
def checked_client(settings: Settings, fake_server: fakeredis.FakeServer) -> Iterator[FlaskClient]:
    """An app whose optimize kind runs the real submit-time checks."""
    app = create_app(settings, kinds=scripted_kinds(check=check_submission))
    get_redis(app).extra_kwargs = fake_connection_kwargs(fake_server)
    yield app.test_client()
    close_app(app)


def _queued(client: FlaskClient) -> int:
    return get_jobs(client.application).store().queue_stats().pending


CASES = [
    ("three-qbs", {"locks": _top("QB", 3)}, "locks_exceed_position", 3),
    ("rbs-and-tes", {"locks": _top("RB", 3) + _top("TE", 2)}, "locks_incompatible", 5),
    (
        "over-cap",
        {"locks": _top("QB", 1) + _top("RB", 2) + _top("WR", 3) + _top("TE", 1)},
        "locks_over_cap",
        7,
    ),
    (
        "no-dst",
        {"players": [p for p in SLATE if p["positions"] != ["DST"]]},
        "slot_unfillable",
        0,
    ),
    ("one-game", {"players": nfl_slate(seed=5, games=1)}, "single_game", 0),
    ("unknown-lock", {"locks": ["nobody"]}, "lock_not_in_slate", 1),
    (
        "min-unique",
        {"locks": _cheapest_lineup_ids()[:8], "n_lineups": 3, "min_unique": 2},
        "min_unique_impossible",
        8,
    ),
    ("dst-exposure", {"n_lineups": 20, "max_exposure": 0.1}, "exposure_too_low", 6),
]


@pytest.mark.parametrize(
    ("extra", "code", "n_players"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_an_impossible_request_is_refused_with_its_code(
    checked_client: FlaskClient, extra: dict, code: str, n_players: int
) -> None:
    """Each rule answers 422 with its code and the players involved; no job is queued."""
    body = {"players": SLATE, "n_scenarios": 0, **extra}

    response = checked_client.post("/optimize", json=body)

    assert response.status_code == 422, response.json
    error = response.json["error"]
    assert error["code"] == code
    assert error["details"]["refusals"][0]["code"] == code
    assert len(error["details"]["refusals"][0]["players"]) == n_players
    assert _queued(checked_client) == 0


def test_a_possible_request_is_accepted(checked_client: FlaskClient) -> None:
    """A request the rules cannot rule out gets its job."""
    body = {"players": SLATE, "n_lineups": 5, "locks": _top("QB", 1), "max_exposure": 0.5}

    response = checked_client.post("/optimize", json=body)

    assert response.status_code == 202
    assert _queued(checked_client) == 1


def test_a_stored_slate_is_checked_at_submit(checked_client: FlaskClient) -> None:
    """Players read from an uploaded slate go through the same rules."""
    checked_client.post(
        "/slates?sport=nfl&slate_id=s1", data=nfl_salary_csv(), content_type="text/csv"
    )
    slate = checked_client.get("/slates/s1").json["players"]
    qbs = [p["id"] for p in slate if p["positions"] == ["QB"]][:2]

    response = checked_client.post("/optimize", json={"slate_id": "s1", "locks": qbs})

    assert response.status_code == 422
    assert response.json["error"]["code"] == "locks_exceed_position"
    assert _queued(checked_client) == 0


SHOWDOWN = showdown_slate("nfl", seed=5)
MLB = mlb_slate(seed=5, games=4)
NHL = nhl_slate(seed=5, games=3)


def _mlb_hitters(team: str, count: int) -> list[str]:
    return [p["id"] for p in MLB if p["team"] == team and p["positions"][0] not in ("SP", "RP")][
        :count
    ]


def _one_a_slot(team: str) -> list[str]:
    """Six hitters of a team who fit six different slots."""
    return [
        next(p["id"] for p in MLB if p["team"] == team and p["positions"] == [position])
        for position in ("C", "1B", "2B", "3B", "SS", "OF")
    ]


def _opposing_pair() -> list[str]:
    pitcher = next(p for p in MLB if p["positions"] == ["SP"])
    return [pitcher["id"], _mlb_hitters(pitcher["opponent"], 1)[0]]


GAME_TYPE_CASES = [
    (
        "showdown-both-rows",
        {"contest_type": "showdown", "players": SHOWDOWN, "locks": [p["id"] for p in SHOWDOWN[:2]]},
        "locks_same_player",
        2,
    ),
    (
        "showdown-one-team",
        {
            "contest_type": "showdown",
            "players": [p for p in SHOWDOWN if p["team"] == SHOWDOWN[0]["team"]],
        },
        "too_few_teams",
        0,
    ),
    (
        "mlb-six-hitters-of-a-team",
        {"sport": "mlb", "players": MLB, "locks": _one_a_slot(MLB[0]["team"])},
        "locks_exceed_team",
        6,
    ),
    (
        "mlb-hitter-against-own-pitcher",
        {"sport": "mlb", "players": MLB, "locks": _opposing_pair(), "avoid_opposing": True},
        "locks_opposing",
        2,
    ),
    (
        "mlb-one-game",
        {
            "sport": "mlb",
            "players": [p for p in MLB if p["team"] in MLB[0]["team"] + MLB[0]["opponent"]],
        },
        "single_game",
        0,
    ),
    (
        "nhl-skaters-of-two-teams",
        {
            "sport": "nhl",
            "players": [
                p
                for p in NHL
                if p["positions"] == ["G"] or p["team"] in (NHL[0]["team"], NHL[0]["opponent"])
            ],
        },
        "too_few_teams",
        0,
    ),
]


@pytest.mark.parametrize(
    ("extra", "code", "n_players"),
    [c[1:] for c in GAME_TYPE_CASES],
    ids=[c[0] for c in GAME_TYPE_CASES],
)
def test_each_game_type_refuses_with_its_own_rules(
    checked_client: FlaskClient, extra: dict, code: str, n_players: int
) -> None:
    """Showdown, MLB and NHL requests that break their game type's rules are refused at submit
    with the rule's code and the players involved."""
    response = checked_client.post("/optimize", json={"n_scenarios": 0, **extra})

    assert response.status_code == 422, response.json
    refusals = response.json["error"]["details"]["refusals"]
    assert code in [r["code"] for r in refusals]
    assert len(next(r for r in refusals if r["code"] == code)["players"]) == n_players
    assert _queued(checked_client) == 0
