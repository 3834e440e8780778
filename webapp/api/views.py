"""Routes of the optimize blueprint: thin; parse, call the job service, render."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, jsonify, request
from flask.sansio.blueprints import BlueprintSetupState
from marshmallow import ValidationError

from webapp.api import bp
from webapp.api.errors import BadRequest, JobFinished, Refused, Unavailable
from webapp.api.player_schema import MAX_PLAYERS, first_problem, player_problems
from webapp.api.schemas import cross_field_errors, load_optimize_request
from webapp.config import get_settings
from webapp.contest.checks import check_roi_selection
from webapp.jobs import service, status_wait
from webapp.jobs.errors import JobNotFoundError, ResultNotReadyError, TransitionRefusedError
from webapp.jobs.extension import get_jobs
from webapp.lineups.refusals import request_game_type
from webapp.lineups.upload_csv import upload_csv
from webapp.observability import correlation
from webapp.observability.metrics.hooks import record_job_cancelled
from webapp.runtime import lifecycle
from webapp.slates.neo4j_slates import SlateNotFoundError
from webapp.slates.store import get_slate_store
from webapp.tenants.auth import current_tenant, current_tenant_name

# Crockford base32 ULID: 26 characters, the first at most 7 (128 bits).
_RUN_ID = re.compile(r"[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}")
_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")


# URL collection -> the kind of the jobs it holds; a job is read only through its own.
COLLECTIONS = {"optimize": "optimize", "contests": "contest"}


def _links(run_id: str, collection: str = "optimize") -> dict[str, str]:
    # Built directly rather than with url_for, which costs more than the rest of a status
    # read; script_root keeps them right when the app is mounted under a prefix.
    base = f"{request.script_root}/{collection}/{run_id}"
    return {"self": base, "result": f"{base}/result", "input": f"{base}/input"}


def _of_collection(record: Any, collection: str) -> Any:
    """The record, when its job belongs to `collection` (JobNotFoundError otherwise)."""
    if record.kind != COLLECTIONS[collection]:
        raise JobNotFoundError(record.run_id)
    return record


def checked_run_id(run_id: str) -> str:
    if not _RUN_ID.fullmatch(run_id):
        raise BadRequest("run_id must be a 26-character ULID", details={"run_id": run_id[:64]})
    return run_id.upper()


def idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not _IDEMPOTENCY_KEY.fullmatch(key):
        raise BadRequest("Idempotency-Key must be 1-255 visible ASCII characters")
    return key


def players_from_slate(
    job_input: dict[str, Any],
    *,
    sport_given: bool,
    contest_given: bool,
    recheck: Callable[[dict[str, Any]], dict[str, list[str]]] = cross_field_errors,
) -> None:
    """Read the tenant's uploaded slate into the job's input now, so the job never waits on a
    slate that expired or changed after the submit. When the slate is of another game type
    than the request defaulted to, the request takes it and `recheck` checks it again."""
    slate_id = job_input["slate_id"]
    try:
        slate = get_slate_store(current_app).load(slate_id, tenant=current_tenant_name())
    except SlateNotFoundError as error:
        raise Refused("slate_not_found", str(error), details={"slate_id": slate_id}) from None
    asked = (job_input["sport"], job_input["contest_type"])
    stored = (slate.sport or asked[0], slate.contest_type)
    given = (sport_given, contest_given)
    if any(g and a != b for g, a, b in zip(given, asked, stored, strict=True)):
        raise Refused(
            "sport_mismatch",
            f"slate {slate_id!r} is {' '.join(stored)}, the request asks for {' '.join(asked)}",
        )
    _check_slate_bounds(slate_id, slate.players)
    job_input["players"] = slate.players
    if stored != asked:  # the options were checked against another game type
        job_input["sport"], job_input["contest_type"] = stored
        if errors := recheck(job_input):
            raise ValidationError(errors)


def _check_slate_bounds(slate_id: str, players: list[dict[str, Any]]) -> None:
    """A stored slate keeps the bounds of inline players (one stored by an older version, or
    loaded into Neo4j by other means, may not): refused with 422 otherwise."""
    if len(players) > MAX_PLAYERS:
        raise Refused(
            "too_many_players",
            f"slate {slate_id!r} holds {len(players)} players; a request takes at most "
            f"{MAX_PLAYERS} (MAX_PLAYERS)",
            details={"slate_id": slate_id, "players": len(players), "limit": MAX_PLAYERS},
        )
    for player in players:
        if problems := player_problems(player):
            field, rule = first_problem(problems)
            player_id = str(player.get("id"))[:64]
            raise Refused(
                "invalid_player",
                f"slate {slate_id!r}, player {player_id!r}: {field} is out of bounds: {rule}",
                details={"slate_id": slate_id, "player": player_id, "problems": problems},
            )


def refuse_while_draining() -> None:
    """503 with Retry-After while this instance drains: it takes no new jobs."""
    if lifecycle.is_draining(current_app):
        raise Unavailable(
            "this instance is draining and takes no new jobs",
            headers={"Retry-After": "10"},
        )


@bp.post("/optimize")
def submit() -> tuple[Response, int, dict[str, str]]:
    """Validate the request, store and queue the job, answer 202 once it is in Redis."""
    refuse_while_draining()
    key = idempotency_key()
    body = request.get_json()
    job_input = load_optimize_request(body).job_input()
    if job_input.get("late_swap") and "n_lineups" not in body:
        job_input["n_lineups"] = len(job_input["late_swap"]["lineups"])
    # What an Idempotency-Key covers: the request as sent, not the players a slate holds now
    # (an identical retry after the slate was uploaded again is the same request).
    sent = dict(job_input)
    if job_input["players"] is None:
        players_from_slate(
            job_input, sport_given="sport" in body, contest_given="contest_type" in body
        )
    if job_input.get("selection") == "roi":
        check_roi_selection(job_input)
    return accept("optimize", job_input, sent, key)


def accept(
    collection: str, job_input: dict[str, Any], sent: dict[str, Any], key: str | None
) -> tuple[Response, int, dict[str, str]]:
    """Check, store and queue a job of the collection's kind; the 202 answer (or the original
    job's, for a repeated Idempotency-Key)."""
    kind = COLLECTIONS[collection]
    jobs = get_jobs(current_app)
    jobs.kinds.check(kind, job_input)
    origin = service.Origin(
        request_id=correlation.current_correlation_id(),
        user_id=correlation.current_user_id(),
        tenant=current_tenant_name(),
    )
    tenant = current_tenant()
    submission = service.submit(
        jobs.store(),
        job_input,
        kind=kind,
        origin=origin,
        idempotency_key=key,
        wait=jobs.wait_policy(),
        request=sent,
        limits=tenant.limits if tenant is not None else None,
    )
    status = "pending"
    links = _links(submission.run_id, collection)
    headers = {"Location": links["self"]}
    if not submission.created:
        status = str(service.status(jobs.store(), submission.run_id).status)
        headers["Idempotent-Replayed"] = "true"
    body = {"run_id": submission.run_id, "status": status, "links": links}
    return jsonify(body), 202, headers


@bp.record_once
def _init_waiters(state: BlueprintSetupState) -> None:
    settings = get_settings(state.app)
    status_wait.init_app(
        state.app, settings.status_wait_max_waiters, settings.redis_socket_timeout_s
    )


def _wait_seconds() -> float:
    raw = request.args.get("wait")
    if raw is None:
        return 0.0
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= status_wait.MAX_WAIT_SECONDS:
        raise BadRequest(
            f"wait must be a number of seconds from 0 to {status_wait.MAX_WAIT_SECONDS}",
            details={"wait": raw[:64]},
        )
    return seconds


def _with_input() -> bool:
    raw = request.args.get("include")
    if raw is None:
        return False
    if raw != "input":
        raise BadRequest("include must be 'input'", details={"include": raw[:64]})
    return True


@bp.get("/optimize/<run_id>")
def get_status(run_id: str) -> Response:
    """The job's status document (everything but the result, and the input only with
    ?include=input); with ?wait=N, answered once the status changes or N seconds pass."""
    return status_response(run_id, "optimize")


def status_response(run_id: str, collection: str) -> Response:
    """GET /<collection>/<run_id> (see get_status)."""
    run_id, wait_s, with_input = checked_run_id(run_id), _wait_seconds(), _with_input()
    tenant = current_tenant_name()
    store = get_jobs(current_app).store()
    if wait_s:
        waiters = status_wait.get_waiters(current_app)
        record, waited = waiters.wait(store, run_id, wait_s, with_input=with_input, tenant=tenant)
    else:
        record, waited = service.status(store, run_id, with_input=with_input, tenant=tenant), True
    document = _of_collection(record, collection).to_status_document(with_input=with_input)
    document["links"] = _links(record.run_id, collection)
    response = jsonify(document)
    if not waited:
        response.headers["Status-Wait"] = "skipped; too many waiters, poll again"
        response.headers["Retry-After"] = str(status_wait.BUSY_RETRY_AFTER_S)
    return response


@bp.get("/optimize/<run_id>/input")
def get_input(run_id: str) -> Response:
    """The job's input as stored (the request, with a slate's players resolved)."""
    return input_response(run_id, "optimize")


def input_response(run_id: str, collection: str) -> Response:
    """GET /<collection>/<run_id>/input."""
    store, run_id = get_jobs(current_app).store(), checked_run_id(run_id)
    record = service.status(store, run_id, with_input=True, tenant=current_tenant_name())
    _of_collection(record, collection)
    return jsonify({"run_id": record.run_id, "input": record.input})


@bp.delete("/optimize/<run_id>")
def cancel(run_id: str) -> Response:
    """Cancel a job: a pending one leaves the queue at once, a running one stops at its next
    progress point; either ends failed with error_code `cancelled`. A job that has ended, a
    cancelled one too, answers 409 job_finished."""
    return cancel_response(run_id, "optimize")


def cancel_response(run_id: str, collection: str) -> Response:
    """DELETE /<collection>/<run_id> (see cancel)."""
    run_id = checked_run_id(run_id)
    store = get_jobs(current_app).store()
    tenant = current_tenant_name()  # another tenant's job: 404, as a job of another collection
    _of_collection(service.status(store, run_id, tenant=tenant), collection)
    try:
        store.cancel(run_id, "cancelled by the client")
    except TransitionRefusedError:
        record = store.get(run_id)
        ended = ", ".join(str(part) for part in (record.status, record.error_code) if part)
        raise JobFinished(
            f"job {run_id} has already ended ({ended}); nothing to cancel",
            details={"status": str(record.status), "error_code": record.error_code},
        ) from None
    record_job_cancelled(current_app, tenant)
    document = store.get(run_id, with_input=False).to_status_document()
    document["links"] = _links(run_id, collection)
    return jsonify(document)


@bp.get("/optimize/<run_id>/result")
def get_result(run_id: str) -> Response:
    """The result of a complete job; 409 while pending/running or when failed."""
    return result_response(run_id, "optimize")


def result_response(run_id: str, collection: str) -> Response:
    """GET /<collection>/<run_id>/result."""
    record, result = _result(run_id, collection)
    return jsonify({"run_id": record.run_id, "status": str(record.status), "result": result})


def _result(run_id: str, collection: str) -> tuple[Any, Any]:
    store = get_jobs(current_app).store()
    run_id = checked_run_id(run_id)
    try:
        record, result = service.result(store, run_id, tenant=current_tenant_name())
    except ResultNotReadyError as error:
        _of_collection(error.record, collection)
        raise
    return _of_collection(record, collection), result


@bp.get("/optimize/<run_id>/result.csv")
def get_result_csv(run_id: str) -> Response:
    """The lineups of a complete job in DraftKings' upload format."""
    record, result = _result(run_id, "optimize")
    text = upload_csv(request_game_type(record.input), result.get("lineups", ()))
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="lineups-{record.run_id}.csv"'},
    )
