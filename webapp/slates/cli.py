"""`flask --app webapp slates load FILE --slate-id ID --sport nfl [--contest-type showdown]
[--tenant NAME]`: fill the graph from a file, for one tenant or for none."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from marshmallow import ValidationError

from webapp.api.player_schema import ID_PATTERN, PlayerSchema
from webapp.clients.neo4j_client import Neo4jUnavailableError, get_neo4j
from webapp.config import get_settings
from webapp.optimizer.players import check_players
from webapp.optimizer.rules import CLASSIC, CONTEST_TYPES, SPORTS
from webapp.slates.importer import read_dk_csv
from webapp.slates.store import get_slate_store
from webapp.tenants.api_keys import TENANT_NAME

slates_cli = click.Group("slates", help="Load slates into Neo4j.")


def _matching(pattern: re.Pattern[str], rule: str) -> Callable[..., str | None]:
    """A click callback refusing a value that `pattern` does not match (None passes)."""

    def check(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if value is not None and not pattern.fullmatch(value):
            raise click.BadParameter(f"{value!r} is not {rule}")
        return value

    return check


@slates_cli.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--slate-id",
    required=True,
    callback=_matching(re.compile(ID_PATTERN), "1-64 of [A-Za-z0-9._:-]"),
    help="the id a request names (the same rule as POST /slates)",
)
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
@click.option(
    "--tenant",
    default=None,
    callback=_matching(TENANT_NAME, "a tenant name (1-64 of [A-Za-z0-9._-])"),
    help="the tenant whose slate it is: the name of its API key (`keys list`), or the "
    "USER_ID_HEADER name under AUTH_MODE=header; only that tenant can use it. Without it "
    "the slate is no tenant's: only AUTH_MODE=none can use it.",
)
@with_appcontext
def load_command(
    path: Path,
    slate_id: str,
    sport: str,
    contest_type: str,
    file_format: str | None,
    projection_column: str,
    tenant: str | None,
) -> None:
    """Load a JSON list of players (the request's format) or a DraftKings salary CSV into
    Neo4j, as the slate --slate-id of the --tenant (without one, of no tenant)."""
    client = get_neo4j(current_app)
    if not client.is_configured:
        raise click.ClickException("NEO4J_URI is not set")
    players = _read_players(path, file_format, sport, contest_type, projection_column)
    try:
        store = get_slate_store(current_app)
        store.save(slate_id, sport, players, contest_type, tenant=tenant)
    except Neo4jUnavailableError as error:
        raise click.ClickException(str(error)) from None
    owner = f"tenant {tenant}" if tenant else "no tenant"
    click.echo(
        f"slate {slate_id} of {owner}: {len(players)} {sport} players loaded into "
        f"{client.redacted_uri}"
    )
    auth_mode = get_settings(current_app).auth_mode
    if tenant is None and auth_mode != "none":
        click.echo(
            f"warning: AUTH_MODE={auth_mode} and no --tenant: no tenant can use it", err=True
        )


def _read_players(
    path: Path, file_format: str | None, sport: str, contest_type: str, projection_column: str
) -> list[dict[str, Any]]:
    """The file's players, checked as a request's are; a ClickException naming the file."""
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
    return players
