"""The Neo4j client and slate store against a Bolt peer, a refused port and a silent listener.

No Neo4j server can be installed here: these are the honest stand-ins (see docs/neo4j.md).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.support.bolt_peer import Answer, BoltPeer, SilentListener, refused_uri
from tests.support.dk_csv import nfl_salary_csv
from webapp.clients.neo4j_client import Neo4jClient, Neo4jUnavailableError
from webapp.config import Settings
from webapp.jobs.extension import get_jobs
from webapp.slates import graph
from webapp.slates.neo4j_slates import SlateNotFoundError, load_slate, write_slate
from webapp.tenants.auth import get_auth

pytestmark = pytest.mark.integration

PASSWORD = "s3cret-pw"
PLAYER = {
    "id": "p1", "name": "A Player", "positions": ["QB"], "salary": 7000, "team": "BUF",
    "opponent": "MIA", "projection": 21.5, "stdev": 6.0,
}  # fmt: skip


@pytest.fixture
def make_client() -> Iterator:
    clients: list[Neo4jClient] = []

    def build(uri: str, timeout_s: float = 1.0, password: str = PASSWORD) -> Neo4jClient:
        client = Neo4jClient(
            Settings(neo4j_uri=uri, neo4j_password=password, ready_check_timeout_s=timeout_s)
        )
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


def _slate_handler(query: str, params: dict) -> Answer:
    if params.get("slate_id") == "main":
        return Answer(["sport", "players"], [["nfl", [PLAYER, {**PLAYER, "id": "p2"}]]])
    return Answer(["sport", "players"], [])


def test_ping_against_the_bolt_peer(make_client) -> None:
    """A reachable server passes, reporting latency, agent and protocol; credentials are sent."""
    with BoltPeer(password=PASSWORD) as peer:
        ping = make_client(peer.uri).ping()

    assert ping.agent == "Neo4j/5.26.0" and ping.protocol == "5.4"
    assert 0 < ping.latency_ms < 1000
    assert peer.auth[0]["principal"] == "neo4j" and peer.auth[0]["credentials"] == PASSWORD


def test_refused_port_fails_at_once(make_client) -> None:
    """Nothing listening: a clear error in well under a second."""
    started = time.monotonic()
    with pytest.raises(Neo4jUnavailableError, match="refused"):
        make_client(refused_uri()).ping()

    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize("timeout_s", [1.0, 3.0])
def test_silent_server_is_bounded_by_the_timeout(make_client, timeout_s: float) -> None:
    """A listener that never answers fails the check within the timeout (plus a little)."""
    with SilentListener() as silent:
        started = time.monotonic()
        with pytest.raises(Neo4jUnavailableError):
            make_client(silent.uri, timeout_s=timeout_s).ping()
        took = time.monotonic() - started

    assert timeout_s - 0.1 <= took < timeout_s + 0.5


def test_load_slate_sends_one_parameterized_query(make_client) -> None:
    """load_slate runs exactly the documented Cypher with the slate id as a parameter."""
    with BoltPeer(_slate_handler) as peer:
        slate = load_slate(make_client(peer.uri), "main")

    assert peer.runs == [(graph.LOAD_SLATE, {"slate_id": "main"})]
    assert slate.sport == "nfl"
    assert [p["id"] for p in slate.players] == ["p1", "p2"]
    assert slate.players[0] == {**PLAYER, "ownership": None, "game_time": None}


def test_a_field_projection_reads_back_only_when_the_slate_has_one(make_client) -> None:
    """A player's field projection comes back from the graph; a player without one has none,
    as a request's player without one."""

    def handler(query: str, params: dict) -> Answer:
        players = [{**PLAYER, "field_projection": 18.0}, {**PLAYER, "id": "p2"}]
        return Answer(["sport", "players"], [["nfl", players]])

    with BoltPeer(handler) as peer:
        slate = load_slate(make_client(peer.uri), "main")

    assert slate.players[0]["field_projection"] == 18.0
    assert "field_projection" not in slate.players[1]
    assert "field_projection: r.field_projection" in graph.LOAD_SLATE
    assert "field_projection: row.field_projection" in graph.WRITE_SLATE


def test_unknown_slate_is_a_clear_error(make_client) -> None:
    """A slate id with no slate gives SlateNotFoundError naming it."""
    with BoltPeer(_slate_handler) as peer, pytest.raises(SlateNotFoundError, match="'other'"):
        load_slate(make_client(peer.uri), "other")


def test_neo4j_failure_is_reported_without_the_password(make_client, caplog) -> None:
    """A server-side failure becomes Neo4jUnavailableError; no password in message or logs."""
    caplog.set_level(logging.DEBUG)

    def failing(query: str, params: dict) -> Answer:
        return Answer(failure=("Neo.DatabaseError.General.UnknownError", "disk full"))

    with BoltPeer(failing) as peer, pytest.raises(Neo4jUnavailableError) as caught:
        load_slate(make_client(peer.uri), "main")

    assert "disk full" in str(caught.value)
    assert PASSWORD not in str(caught.value)
    assert PASSWORD not in caplog.text


def test_write_slate_sends_one_unwind_query(make_client) -> None:
    """Loading a slate is one parameterized UNWIND query with every player."""
    with BoltPeer() as peer:
        write_slate(make_client(peer.uri), "main", "nfl", [PLAYER])

    ((query, params),) = peer.runs
    assert query == graph.WRITE_SLATE and "UNWIND $players" in query
    assert params == {
        "slate_id": "main",
        "sport": "nfl",
        "contest_type": "classic",
        "players": [PLAYER],
    }


def test_slates_load_command(tmp_path: Path, make_app) -> None:
    """`flask slates load FILE` validates the file and writes it with one query."""
    path = tmp_path / "slate.json"
    path.write_text(json.dumps([PLAYER, {**PLAYER, "id": "p2", "stdev": None}]))
    with BoltPeer() as peer:
        app: Flask = make_app(neo4j_uri=peer.uri)
        result = app.test_cli_runner().invoke(
            args=["slates", "load", str(path), "--slate-id", "main", "--sport", "nfl"]
        )

    assert result.exit_code == 0, result.output
    assert "2 nfl players" in result.output
    assert peer.runs[0][1]["slate_id"] == "main"


def _slate_file(tmp_path: Path) -> Path:
    path = tmp_path / "slate.json"
    path.write_text(json.dumps([PLAYER, {**PLAYER, "id": "p2"}]))
    return path


def _remembering_graph() -> Callable[[str, dict], Answer]:
    """A Bolt handler that keeps the slates written and answers loads from them."""
    written: dict[str, list] = {}

    def handle(query: str, params: dict) -> Answer:
        if query == graph.WRITE_SLATE:
            written[params["slate_id"]] = params["players"]
            return Answer(["1"], [[1]])
        players = written.get(params["slate_id"])
        return Answer(["sport", "players"], [["nfl", players]] if players else [])

    return handle


def test_slates_load_command_for_a_tenant(tmp_path: Path, make_app) -> None:
    """`slates load --tenant NAME` stores the slate among NAME's slates: under AUTH_MODE=api_key
    that tenant's submit by the slate id finds it; another tenant's does not."""
    with BoltPeer(_remembering_graph()) as peer:
        app: Flask = make_app(neo4j_uri=peer.uri, auth_mode="api_key")
        alice, bob = (
            {"Authorization": f"Bearer {get_auth(app).api_keys.create(name)}"}
            for name in ("alice", "bob")
        )
        loaded = app.test_cli_runner().invoke(
            args=["slates", "load", str(_slate_file(tmp_path)), "--slate-id", "main",
                  "--sport", "nfl", "--tenant", "alice"]
        )  # fmt: skip
        own = app.test_client().post("/optimize", json={"slate_id": "main"}, headers=alice)
        other = app.test_client().post("/optimize", json={"slate_id": "main"}, headers=bob)

    assert loaded.exit_code == 0, loaded.output
    assert "tenant alice" in loaded.output
    assert own.status_code == 202, own.json
    assert other.json["error"]["code"] == "slate_not_found"


def test_slates_load_command_without_a_tenant_warns_under_api_keys(
    tmp_path: Path, make_app
) -> None:
    """Without --tenant the slate is no tenant's: under AUTH_MODE=api_key the command says that
    no tenant can use it (it is still loaded, for AUTH_MODE=none)."""
    with BoltPeer() as peer:
        app: Flask = make_app(neo4j_uri=peer.uri, auth_mode="api_key")
        result = app.test_cli_runner().invoke(
            args=["slates", "load", str(_slate_file(tmp_path)), "--slate-id", "main",
                  "--sport", "nfl"]
        )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert peer.runs[0][1]["slate_id"] == "main"
    assert "no tenant can use it" in result.stderr


@pytest.mark.parametrize(
    ("option", "value"),
    [("--tenant", "bad name!"), ("--slate-id", "alice/main")],
    ids=["tenant", "slate-id"],
)
def test_slates_load_command_refuses_a_malformed_name(
    tmp_path: Path, make_app, option: str, value: str
) -> None:
    """A tenant or slate id the API would refuse is refused before anything is written (a
    '/' in a slate id would reach into a tenant's slates)."""
    args = {"--slate-id": "main", option: value}
    with BoltPeer() as peer:
        app: Flask = make_app(neo4j_uri=peer.uri)
        result = app.test_cli_runner().invoke(
            args=["slates", "load", str(_slate_file(tmp_path)), "--sport", "nfl",
                  *(item for pair in args.items() for item in pair)]
        )  # fmt: skip

    assert result.exit_code == 2, result.output
    assert peer.runs == []


def test_slates_load_help_says_what_no_tenant_means(make_app) -> None:
    """The command's help says that without --tenant only AUTH_MODE=none can use the slate."""
    result = make_app().test_cli_runner().invoke(args=["slates", "load", "--help"])

    assert "--tenant" in result.output
    assert "AUTH_MODE=none" in " ".join(result.output.split())


def test_ready_with_neo4j(make_app) -> None:
    """/ready: the peer passes with its agent; a refused port fails readiness with 503."""
    with BoltPeer() as peer:
        healthy = make_app(neo4j_uri=peer.uri).test_client().get("/ready")
    down = make_app(neo4j_uri=refused_uri()).test_client().get("/ready")

    entry = healthy.json["checks"]["neo4j:responseTime"][0]
    assert entry["status"] == "pass" and entry["version"] == "Neo4j/5.26.0"
    assert down.status_code == 503
    assert down.json["checks"]["neo4j:responseTime"][0]["status"] == "fail"


def test_slates_load_command_reads_a_draftkings_csv(tmp_path: Path, make_app) -> None:
    """A DraftKings salary CSV is parsed and written as one UNWIND query."""
    path = tmp_path / "DKSalaries.csv"
    path.write_text(
        "Position,Name + ID,Name,ID,Roster Position,Salary,Game Info,TeamAbbrev,AvgPointsPerGame\n"
        "QB,A (1),A,1,QB,8200,BUF@MIA 09/10/2023 01:00PM ET,BUF,24.1\n"
        "WR,B (2),B,2,WR/FLEX,8800,BUF@MIA 09/10/2023 01:00PM ET,MIA,21.0\n"
    )
    with BoltPeer() as peer:
        app: Flask = make_app(neo4j_uri=peer.uri)
        result = app.test_cli_runner().invoke(
            args=["slates", "load", str(path), "--slate-id", "wk1", "--sport", "nfl"]
        )

    assert result.exit_code == 0, result.output
    players = peer.runs[0][1]["players"]
    assert [(p["id"], p["team"], p["opponent"]) for p in players] == [
        ("1", "BUF", "MIA"),
        ("2", "MIA", "BUF"),
    ]


def test_an_uploaded_salary_file_goes_to_neo4j_when_configured(make_app) -> None:
    """POST /slates writes the players, game times included, with the one UNWIND query."""
    with BoltPeer() as peer:
        client = make_app(neo4j_uri=peer.uri).test_client()
        response = client.post(
            "/slates?sport=nfl&slate_id=wk6", data=nfl_salary_csv(), content_type="text/csv"
        )

    assert response.status_code == 201 and response.json["store"] == "neo4j"
    ((query, params),) = peer.runs
    assert query == graph.WRITE_SLATE and params["slate_id"] == "wk6"
    assert len(params["players"]) == 456
    assert params["players"][0]["game_time"] == "2024-10-13T17:00:00Z"


def test_a_submission_by_slate_id_reads_neo4j_at_submit(make_app) -> None:
    """Without players, the job's input gets the slate's players from Neo4j before the 202."""
    with BoltPeer(_slate_handler) as peer:
        app = make_app(neo4j_uri=peer.uri)
        response = app.test_client().post("/optimize", json={"slate_id": "main"})
        missing = app.test_client().post("/optimize", json={"slate_id": "other"})

    assert response.status_code == 202
    record = get_jobs(app).store().get(response.json["run_id"])
    assert [p["id"] for p in record.input["players"]] == ["p1", "p2"]
    assert record.input["sport"] == "nfl"
    assert missing.status_code == 422 and missing.json["error"]["code"] == "slate_not_found"
