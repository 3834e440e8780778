"""`flask --app webapp slates load FILE --slate-id ID --sport nfl [--contest-type showdown]`:
fill the graph from a file."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from marshmallow import ValidationError

from webapp.api.player_schema import PlayerSchema
from webapp.clients.neo4j_client import Neo4jUnavailableError, get_neo4j
from webapp.optimizer.players import check_players
from webapp.optimizer.rules import CLASSIC, CONTEST_TYPES, SPORTS
from webapp.slates.importer import read_dk_csv
from webapp.slates.neo4j_slates import write_slate

slates_cli = click.Group("slates", help="Load slates into Neo4j.")


@slates_cli.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--slate-id", required=True)
@click.option("--sport", type=click.Choice(SPORTS), required=True)
@click.option("--contest-type", type=click.Choice(CONTEST_TYPES), default=CLASSIC)
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["json", "dk-csv"]),
    default=None,
    help="default: from the file's extension",
)
@click.option("--projection-column", default="AvgPointsPerGame", show_default=True)
@with_appcontext
def load_command(
    path: Path,
    slate_id: str,
    sport: str,
    contest_type: str,
    file_format: str | None,
    projection_column: str,
) -> None:
    """Load a JSON list of players (the request's format) or a DraftKings salary CSV."""
    client = get_neo4j(current_app)
    if not client.is_configured:
        raise click.ClickException("NEO4J_URI is not set")
    file_format = file_format or ("dk-csv" if path.suffix.lower() == ".csv" else "json")
    try:
        if file_format == "dk-csv":
            text = path.read_text(encoding="utf-8-sig")
            raw = read_dk_csv(text, sport, projection_column, contest_type).players
        else:
            raw = json.loads(path.read_text())
        players = PlayerSchema(many=True).load(raw)
    except (KeyError, ValueError, ValidationError) as error:
        raise click.ClickException(f"{path}: {error}") from None
    problems = check_players(players, sport, contest_type)
    if problems:
        raise click.ClickException(f"{path}: {problems}")
    try:
        write_slate(client, slate_id, sport, players, contest_type)
    except Neo4jUnavailableError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"slate {slate_id}: {len(players)} {sport} players loaded into {client.redacted_uri}"
    )
