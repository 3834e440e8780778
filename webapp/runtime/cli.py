"""Operator commands: `flask --app webapp jobs ...`, safe to run while the service is live."""

from __future__ import annotations

import json
import os

import click
import redis
from flask import Flask, current_app
from flask.cli import with_appcontext

from webapp.config import get_settings
from webapp.jobs import admin
from webapp.jobs.errors import JobExpiredError, JobNotFoundError, TransitionRefusedError
from webapp.jobs.extension import get_jobs
from webapp.jobs.states import JobStatus
from webapp.jobs.store import JobStore
from webapp.redaction import redact
from webapp.runtime.redis_choice import RedisChoiceError, chosen_redis


class _ErrorsAsMessages(click.Group):
    """A Redis error (with no password in it), or a missing, expired or moved-on job, of any
    command becomes one line for the operator."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except redis.RedisError as error:
            raise click.ClickException(f"Redis: {type(error).__name__}: {redact(error)}") from None
        except JobNotFoundError as error:
            raise click.ClickException(f"no job {error.args[0]}") from None
        except JobExpiredError as error:
            raise click.ClickException(f"job {error.args[0]} has expired") from None
        except TransitionRefusedError as error:
            raise click.ClickException(
                f"refused: the job is {error.current}, not running"
            ) from None


_STATES = [s.value for s in JobStatus if s is not JobStatus.EXPIRED]


@click.group("jobs", cls=_ErrorsAsMessages)
@with_appcontext
def jobs_cli() -> None:
    """Inspect and repair jobs in Redis (the one REDIS_URL names)."""
    settings = get_settings(current_app)
    try:
        url = chosen_redis(settings, os.environ)
    except RedisChoiceError as error:
        raise click.UsageError(str(error)) from None
    click.echo(f"jobs: Redis {url}, key prefix {settings.redis_key_prefix!r}", err=True)


def _store() -> JobStore:
    return get_jobs(current_app).store()


@jobs_cli.command("list")
@click.option("--state", type=click.Choice(_STATES), default=None, help="only jobs in this state")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
def list_command(state: str | None, limit: int) -> None:
    """List jobs with their age and attempts."""
    rows = admin.list_jobs(_store(), JobStatus(state) if state else None, limit)
    click.echo(f"{'run_id':26}  {'status':8}  {'attempts':>8}  {'age_s':>9}  owner / error")
    for row in rows:
        age = f"{row.age_s:9.1f}" if row.age_s is not None else f"{'-':>9}"
        tail = row.owner or row.error or ""
        click.echo(f"{row.run_id:26}  {row.status:8}  {row.attempts:>8}  {age}  {tail}")
    click.echo(f"{len(rows)} job(s)")


@jobs_cli.command("show")
@click.argument("run_id")
def show_command(run_id: str) -> None:
    """Show one job as JSON (input included)."""
    document = admin.show_job(_store(), run_id.upper())
    click.echo(json.dumps(document, indent=2))


@jobs_cli.command("requeue")
@click.argument("run_id")
def requeue_command(run_id: str) -> None:
    """Hand a stuck running job back to pending (not counted against its attempts)."""
    record = admin.requeue(_store(), run_id.upper())
    click.echo(f"{record.run_id} is {record.status} again")


@jobs_cli.command("fail")
@click.argument("run_id")
@click.option("--reason", required=True, help="error shown to the client")
def fail_command(run_id: str, reason: str) -> None:
    """Fail a stuck running job with a reason."""
    record = admin.fail(_store(), run_id.upper(), reason)
    click.echo(f"{record.run_id} is {record.status}: {record.error}")


@jobs_cli.command("purge")
def purge_command() -> None:
    """Delete tombstones of expired jobs and queue entries whose record is gone, on the global
    queue, the leases and every tenant's queue; tenants left with nothing queued leave the
    turns once their turn has come round."""
    removed = _store().purge()
    click.echo(", ".join(f"{count} {what}" for what, count in removed.items()) + " removed")


def init_app(app: Flask) -> None:
    """Register the operator commands."""
    from webapp.slates.cli import slates_cli
    from webapp.tenants.cli import keys_cli

    app.cli.add_command(jobs_cli)
    app.cli.add_command(slates_cli)
    app.cli.add_command(keys_cli)
