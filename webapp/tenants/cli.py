"""Operator commands for API keys: `flask --app webapp keys create|list|revoke`."""

from __future__ import annotations

import os

import click
import redis
from flask import current_app
from flask.cli import with_appcontext

from webapp.config import get_settings
from webapp.redaction import redact
from webapp.runtime.redis_choice import RedisChoiceError, chosen_redis
from webapp.tenants.api_keys import ApiKeys, KeyExistsError
from webapp.tenants.auth import get_auth


class _ErrorsAsMessages(click.Group):
    """A Redis error (with no password in it) or a refused name becomes one line."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except redis.RedisError as error:
            raise click.ClickException(f"Redis: {type(error).__name__}: {redact(error)}") from None
        except (KeyExistsError, ValueError) as error:
            raise click.ClickException(str(error)) from None


@click.group("keys", cls=_ErrorsAsMessages)
@with_appcontext
def keys_cli() -> None:
    """Make, list and revoke the API keys of tenants (AUTH_MODE=api_key)."""
    settings = get_settings(current_app)
    try:
        url = chosen_redis(settings, os.environ)
    except RedisChoiceError as error:
        raise click.UsageError(str(error)) from None
    click.echo(f"keys: Redis {url}, key prefix {settings.redis_key_prefix!r}", err=True)


def _keys() -> ApiKeys:
    return get_auth(current_app).api_keys


@keys_cli.command("create")
@click.argument("name")
@click.option("--max-pending", type=click.IntRange(1), default=None, help="queued jobs at most")
@click.option("--max-running", type=click.IntRange(1), default=None, help="running jobs at most")
@click.option("--rate", type=click.FloatRange(min=0, min_open=True), default=None,
              help="submits per second")  # fmt: skip
def create_command(
    name: str, max_pending: int | None, max_running: int | None, rate: float | None
) -> None:
    """Make a key for tenant NAME; it is printed once, alone on the last line."""
    key = _keys().create(name, max_pending=max_pending, max_running=max_running, rate_per_s=rate)
    click.echo(f"key for tenant {name!r} (shown once; Redis keeps only its SHA-256):")
    click.echo(key)


@keys_cli.command("list")
def list_command() -> None:
    """List tenants with their limits (empty: the defaults), created and last-used times."""
    infos = _keys().list()
    click.echo(f"{'name':24}  {'pending':>7}  {'running':>7}  {'rate':>6}  created / last used")
    for info in infos:
        limits = [info.max_pending, info.max_running, info.rate_per_s]
        pending, running, rate = ("-" if value is None else str(value) for value in limits)
        used = info.last_used_at or "never"
        click.echo(
            f"{info.name:24}  {pending:>7}  {running:>7}  {rate:>6}  {info.created_at} / {used}"
        )
    click.echo(f"{len(infos)} key(s)")


@keys_cli.command("revoke")
@click.argument("name")
def revoke_command(name: str) -> None:
    """Revoke tenant NAME's key: refused on every instance from the next request on."""
    if not _keys().revoke(name):
        raise click.ClickException(f"tenant {name!r} has no key")
    click.echo(f"revoked the key of {name!r}")
