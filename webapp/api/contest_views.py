"""Routes of contest jobs: POST /contests and its reads, on the optimize routes' helpers."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from marshmallow import ValidationError

from webapp.api import bp
from webapp.api.contest_schemas import (
    contest_field_errors,
    lineup_count_errors,
    load_contest_request,
)
from webapp.api.errors import Refused
from webapp.api.views import (
    accept,
    cancel_response,
    checked_run_id,
    idempotency_key,
    input_response,
    players_from_slate,
    refuse_while_draining,
    result_response,
    status_response,
)
from webapp.jobs import service
from webapp.jobs.errors import JobExpiredError, JobNotFoundError, ResultNotReadyError
from webapp.jobs.extension import get_jobs
from webapp.optimizer.rules import CLASSIC
from webapp.tenants.auth import current_tenant_name


@bp.post("/contests")
def submit_contest() -> tuple[Response, int, dict[str, str]]:
    """Validate the request, resolve its players and lineups, store and queue the job."""
    refuse_while_draining()
    key = idempotency_key()
    body = request.get_json()
    job_input = load_contest_request(body)
    sent = dict(job_input)  # what an Idempotency-Key covers, as for POST /optimize
    given = {"sport_given": "sport" in body, "contest_given": "contest_type" in body}
    if job_input["from_run_id"] is not None:
        _lineups_from_run(job_input, **given)
    if job_input["players"] is None:
        players_from_slate(job_input, **given, recheck=contest_field_errors)
    return accept("contests", job_input, sent, key)


def _lineups_from_run(job_input: dict[str, Any], *, sport_given: bool, contest_given: bool) -> None:
    """The lineups of a complete optimize job of the tenant (and its players, sport and contest
    type, unless the request names its own): 422 when there is no such job (another tenant's
    job reads as none) or it has no result."""
    run_id = checked_run_id(job_input["from_run_id"])
    store, tenant = get_jobs(current_app).store(), current_tenant_name()
    try:
        record, result = service.result(store, run_id, tenant=tenant)
    except (JobNotFoundError, JobExpiredError):
        raise Refused("run_not_found", f"no optimize job {run_id} to take lineups from") from None
    except ResultNotReadyError as error:
        message = f"optimize job {run_id} is {error.record.status}; it has no lineups to enter"
        raise Refused(
            "run_not_complete", message, details={"status": str(error.record.status)}
        ) from None
    if record.kind != "optimize":
        raise Refused("run_not_found", f"job {run_id} is not an optimize job")
    asked = (job_input["sport"], job_input["contest_type"])
    stored = (record.input.get("sport", "nfl"), record.input.get("contest_type") or CLASSIC)
    given = (sport_given, contest_given)
    if any(g and a != b for g, a, b in zip(given, asked, stored, strict=True)):
        raise Refused(
            "sport_mismatch",
            f"optimize job {run_id} is {' '.join(stored)}, the request asks for {' '.join(asked)}",
        )
    job_input["sport"], job_input["contest_type"] = stored
    job_input["lineups"] = [[entry["id"] for entry in row["players"]] for row in result["lineups"]]
    if job_input["players"] is None and job_input["slate_id"] is None:
        job_input["players"] = record.input.get("players")
        job_input["slate_id"] = record.input.get("slate_id")
    if errors := lineup_count_errors(len(job_input["lineups"]), job_input["contest"]):
        raise ValidationError(errors)
    if stored != asked and (errors := contest_field_errors(job_input)):
        raise ValidationError(errors)


@bp.get("/contests/<run_id>")
def get_contest_status(run_id: str) -> Response:
    """A contest job's status document, as GET /optimize/<run_id>."""
    return status_response(run_id, "contests")


@bp.get("/contests/<run_id>/input")
def get_contest_input(run_id: str) -> Response:
    """A contest job's stored input (players and lineups resolved)."""
    return input_response(run_id, "contests")


@bp.get("/contests/<run_id>/result")
def get_contest_result(run_id: str) -> Response:
    """A complete contest job's result; 409 while pending/running or when failed."""
    return result_response(run_id, "contests")


@bp.delete("/contests/<run_id>")
def cancel_contest(run_id: str) -> Response:
    """Cancel a contest job, as DELETE /optimize/<run_id>."""
    return cancel_response(run_id, "contests")
