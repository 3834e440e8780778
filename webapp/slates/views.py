"""Routes of the slates blueprint: upload a DraftKings salary CSV, merge projections into it,
read a slate back."""

from __future__ import annotations

import re

from flask import Blueprint, Response, current_app, jsonify, request
from flask.sansio.blueprints import BlueprintSetupState
from marshmallow import ValidationError, validate

from webapp.api.errors import BadRequest, InvalidRequest, UnsupportedMediaType
from webapp.api.player_schema import ID_PATTERN
from webapp.api.schemas import CONTEST_TYPE_RULE, SPORT_RULE
from webapp.ids import new_ulid
from webapp.optimizer.rules import CLASSIC, GAME_TYPES, contest_types
from webapp.slates import store as slate_store
from webapp.slates.importer import SlateFileError, read_dk_csv
from webapp.slates.projections import MAX_LISTED, merge_projections, read_projections
from webapp.slates.summary import summarize
from webapp.tenants.auth import current_tenant_name

CSV_TYPES = ("text/csv", "text/plain", "application/csv")
_SLATE_ID = re.compile(ID_PATTERN)

bp = Blueprint("slates", __name__)


@bp.record_once
def _init_store(state: BlueprintSetupState) -> None:
    slate_store.init_app(state.app)


def _links(slate_id: str) -> dict[str, str]:
    return {"self": f"{request.script_root}/slates/{slate_id}"}


def _checked_slate_id(slate_id: str) -> str:
    if not _SLATE_ID.fullmatch(slate_id):
        raise BadRequest(
            "slate_id must be 1-64 of [A-Za-z0-9._:-]", details={"slate_id": slate_id[:64]}
        )
    return slate_id


def _query(name: str, rule: validate.Validator, default: str = "") -> str:
    """A query parameter under the rule of the request body's field of that name: the same
    code and details."""
    try:
        return rule(request.args.get(name, default))
    except ValidationError as error:
        raise InvalidRequest(
            f"the query parameter {name} is invalid: {error.messages[0]}",
            details={name: error.messages},
        ) from None


def _game_type() -> tuple[str, str]:
    """?sport= and ?contest_type= (classic unless given), a game type the table holds."""
    sport = _query("sport", SPORT_RULE)
    contest = _query("contest_type", CONTEST_TYPE_RULE, CLASSIC)
    if (sport, contest) not in GAME_TYPES:
        message = f"{sport} offers {', '.join(contest_types(sport))}, not {contest}"
        raise InvalidRequest(
            f"the query parameter contest_type is invalid: {message}",
            details={"contest_type": [message]},
        )
    return sport, contest


def _csv_text() -> str:
    if request.mimetype not in CSV_TYPES:
        raise UnsupportedMediaType(
            f"send the DraftKings salary file as text/csv (got {request.mimetype or 'none'!r})"
        )
    try:
        return request.get_data(cache=False).decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SlateFileError(f"the file is not UTF-8 (byte {error.start})") from None


@bp.post("/slates")
def upload() -> tuple[Response, int, dict[str, str]]:
    """Read a DraftKings salary CSV, store its players, answer what the slate holds."""
    sport, contest = _game_type()
    slate_id = _checked_slate_id(request.args.get("slate_id") or new_ulid())
    parsed = read_dk_csv(_csv_text(), sport, contest_type=contest)
    store = slate_store.get_slate_store(current_app)
    store.save(slate_id, sport, parsed.players, contest, tenant=current_tenant_name())
    body = {
        "slate_id": slate_id,
        "sport": sport,
        "contest_type": contest,
        **summarize(parsed.players),
        "store": store.backend,
        "warnings": parsed.warnings,
        "links": _links(slate_id),
    }
    return jsonify(body), 201, {"Location": body["links"]["self"]}


@bp.get("/slates/<slate_id>")
def show(slate_id: str) -> Response:
    """The stored slate with its players."""
    store = slate_store.get_slate_store(current_app)
    slate = store.load(_checked_slate_id(slate_id), tenant=current_tenant_name())
    body = {
        "slate_id": slate.slate_id,
        "sport": slate.sport,
        "contest_type": slate.contest_type,
        **summarize(slate.players),
        "players": slate.players,
        "links": _links(slate.slate_id),
    }
    return jsonify(body)


@bp.put("/slates/<slate_id>/projections")
def put_projections(slate_id: str) -> Response:
    """Merge a projections CSV into the stored slate; answer what matched and what did not."""
    slate_id = _checked_slate_id(slate_id)
    text = _csv_text()
    store = slate_store.get_slate_store(current_app)
    tenant = current_tenant_name()  # a tenant merges into its own slates only
    slate = store.load(slate_id, tenant=tenant)
    merge = merge_projections(slate.players, read_projections(text))
    store.save(slate_id, slate.sport, merge.players, slate.contest_type, tenant=tenant)
    body = {
        "slate_id": slate_id,
        "sport": slate.sport,
        "contest_type": slate.contest_type,
        "players": len(merge.players),
        "matched": merge.matched,
        "unmatched_count": len(merge.unmatched),
        "unmatched": merge.unmatched[:MAX_LISTED],
        "unprojected": merge.unprojected,
        "warnings": merge.warnings,
        "links": _links(slate_id),
    }
    return jsonify(body)
