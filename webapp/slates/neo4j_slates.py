"""Reading and writing slates through the Neo4j client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from webapp.clients.neo4j_client import Neo4jClient
from webapp.optimizer.rules import CLASSIC
from webapp.slates import graph


class SlateNotFoundError(LookupError):
    """No slate with this id, or it has no players."""

    def __init__(self, slate_id: str) -> None:
        super().__init__(f"slate {slate_id!r} is not in the slate store (or has no players)")


@dataclass(frozen=True)
class Slate:
    """A slate as stored: its game type and players in the request format, ordered by id."""

    slate_id: str
    sport: str | None
    players: list[dict[str, Any]]
    contest_type: str = CLASSIC


def load_slate(client: Neo4jClient, slate_id: str) -> Slate:
    """One parameterized query; SlateNotFoundError or Neo4jUnavailableError (bounded)."""
    rows = client.query(graph.LOAD_SLATE, {"slate_id": slate_id})
    if not rows or not rows[0]["players"]:
        raise SlateNotFoundError(slate_id)
    players = [_player(row) for row in rows[0]["players"] if row is not None]
    return Slate(
        slate_id=slate_id,
        sport=rows[0].get("sport"),
        players=players,
        contest_type=rows[0].get("contest_type") or CLASSIC,
    )


def write_slate(
    client: Neo4jClient,
    slate_id: str,
    sport: str | None,
    players: list[dict[str, Any]],
    contest_type: str = CLASSIC,
) -> None:
    """Replace the slate's players with `players` in one transaction (idempotent)."""
    parameters = {"slate_id": slate_id, "sport": sport, "contest_type": contest_type}
    client.write(graph.WRITE_SLATE, {**parameters, "players": players})


def _player(row: dict[str, Any]) -> dict[str, Any]:
    player = {
        "id": str(row["id"]),
        "name": row.get("name") or str(row["id"]),
        "positions": list(row["positions"]),
        "salary": int(row["salary"]),
        "team": row["team"],
        "opponent": row["opponent"],
        "projection": float(row["projection"]),
        "stdev": None if row.get("stdev") is None else float(row["stdev"]),
        "ownership": None if row.get("ownership") is None else float(row["ownership"]),
        "game_time": row.get("game_time"),
    }
    if row.get("roster_position") is not None:
        player["roster_position"] = row["roster_position"]
    if row.get("field_projection") is not None:  # left out when none, as a request does
        player["field_projection"] = float(row["field_projection"])
    return player
