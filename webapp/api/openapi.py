"""The OpenAPI 3 document, generated from the marshmallow schemas that validate requests."""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, Response, current_app, jsonify

from webapp.api import contest_schemas, player_schema, response_schemas, schemas
from webapp.health.report import VERSION
from webapp.jobs.status_wait import MAX_WAIT_SECONDS

bp = Blueprint("openapi", __name__)
EXTENSION_KEY = "webapp.api.openapi"


def _param(name: str, where: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    """An OpenAPI parameter; only the path parameter is required."""
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "schema": schema,
        "description": description,
    }


_RUN_ID = _param(
    "run_id",
    "path",
    {"type": "string", "pattern": "^[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}$"},
    "ULID of the job (case-insensitive)",
)
_CORRELATION = _param(
    "X-Correlation-ID",
    "header",
    {"type": "string"},
    "Kept when it is a ULID or 1-64 of [A-Za-z0-9._-]; otherwise replaced.",
)
_WAIT = _param(
    "wait",
    "query",
    {"type": "number", "minimum": 0, "maximum": MAX_WAIT_SECONDS},
    "Seconds to wait for a status change (long poll). When too many requests of "
    "one process wait already, the answer comes at once with a Status-Wait header and "
    "Retry-After: the seconds to wait before reading again.",
)
_INCLUDE = _param(
    "include",
    "query",
    {"type": "string", "enum": ["input"]},
    "input: add the job's stored input to the status document (left out otherwise; "
    "GET /optimize/{run_id}/input also has it).",
)
_IDEMPOTENCY = _param(
    "Idempotency-Key",
    "header",
    {"type": "string", "pattern": "^[\\x21-\\x7e]{1,255}$"},
    "Same key and body within the TTL return the original job; other body: 422.",
)


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": "Error"}}}


def _json(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _health(description: str) -> dict[str, Any]:
    body = {
        "type": "object",
        "required": ["status"],
        "properties": {"status": {"type": "string", "enum": ["pass", "warn", "fail"]}},
    }
    return {"description": description, "content": {"application/health+json": {"schema": body}}}


_READS = {
    "400": _error("malformed run_id (bad_request)"),
    "404": _error("no such job of this collection (not_found)"),
    "410": _error("the job has expired (expired)"),
    "503": _error("the job store is unreachable (redis_unavailable, Retry-After)"),
}
_SUBMIT_ERRORS = {
    "400": _error(
        "invalid body (invalid_request, details per field), body not JSON "
        "(malformed_json), bad Idempotency-Key or a body that cannot be read "
        "(bad_request)"
    ),
    "413": _error(
        "body over MAX_CONTENT_LENGTH, with Content-Length or chunked (request_entity_too_large)"
    ),
    "415": _error("body is not application/json (unsupported_media_type)"),
    "503": _error(
        "with Retry-After: draining (unavailable), the job store is unreachable "
        "(redis_unavailable), too few replicas confirmed the job "
        "(replication_timeout) or the slate store is unreachable "
        "(slate_store_unavailable)"
    ),
}


def _job_paths(
    collection: str, noun: str, request_schema: str, result_schema: str, refusals: str
) -> dict[str, dict[str, Any]]:
    """POST /<collection> and the reads, cancel and result of its jobs."""
    base = f"/{collection}"
    return {
        base: {
            "post": {
                "summary": f"Submit {noun}",
                "parameters": [_IDEMPOTENCY, _CORRELATION],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": request_schema}},
                },
                "responses": {
                    "202": _json("SubmitResponse", "accepted and stored; poll links.self"),
                    **_SUBMIT_ERRORS,
                    "422": _error(refusals),
                },
            }
        },
        f"{base}/{{run_id}}": {
            "get": {
                "summary": "Read a job's status; with ?wait=N, once it changes or N s pass",
                "parameters": [_RUN_ID, _WAIT, _INCLUDE, _CORRELATION],
                "responses": {"200": _json("StatusDocument", "the job"), **_READS},
            },
            "delete": {
                "summary": "Cancel a job: it ends failed with error_code cancelled",
                "parameters": [_RUN_ID, _CORRELATION],
                "responses": {
                    "200": _json("StatusDocument", "cancelled now"),
                    "409": _error(
                        "the job had already ended, however it ended (complete, failed, "
                        "cancelled before): job_finished, details give its status and error_code"
                    ),
                    **_READS,
                },
            },
        },
        f"{base}/{{run_id}}/input": {
            "get": {
                "summary": "Read a job's stored input (the request, a slate's players resolved)",
                "parameters": [_RUN_ID, _CORRELATION],
                "responses": {"200": _json("InputResponse", "the input"), **_READS},
            }
        },
        f"{base}/{{run_id}}/result": {
            "get": {
                "summary": "Read a complete job's result",
                "parameters": [_RUN_ID, _CORRELATION],
                "responses": {
                    "200": _json(result_schema, "the result"),
                    "409": _error(
                        "result_not_ready while pending or running; job_failed with the "
                        "error and error_code once failed"
                    ),
                    **_READS,
                },
            }
        },
    }


def _paths() -> dict[str, dict[str, Any]]:
    optimize_refusals = (
        "the request can never succeed: the code names the first rule it breaks, "
        "details.refusals lists all; or slate_not_found, sport_mismatch (the "
        "slate's sport or contest_type is not the request's), "
        "idempotency_key_reused; or the named slate breaks the bounds of a "
        "request's players: too_many_players (over MAX_PLAYERS), invalid_player "
        "(details name the player and the rule)"
    )
    contest_refusals = (
        "the contest can never run: invalid_lineup (a lineup, ours or the field's, names a "
        "player the slate lacks or breaks the roster rules; details name it), no_ownership "
        "(no player has an ownership to model the field from), run_not_found / "
        "run_not_complete (from_run_id; another tenant's job is not found), slate_not_found, "
        "sport_mismatch (the slate's or run's sport or contest_type is not the request's), "
        "idempotency_key_reused, too_many_players, invalid_player"
    )
    return {
        **_job_paths(
            "optimize",
            "an optimization job",
            "OptimizeRequest",
            "ResultResponse",
            optimize_refusals,
        ),
        **_job_paths(
            "contests",
            "a contest simulation job",
            "ContestRequest",
            "ContestResultResponse",
            contest_refusals,
        ),
        "/optimize/{run_id}/result.csv": {
            "get": {
                "summary": "A complete job's lineups as DraftKings' upload CSV",
                "parameters": [_RUN_ID, _CORRELATION],
                "responses": {
                    "200": {
                        "description": "header of roster slots, one row of player ids a lineup",
                        "content": {"text/csv": {"schema": {"type": "string"}}},
                    },
                    "409": _error("not complete (result_not_ready / job_failed)"),
                    **_READS,
                },
            }
        },
        "/health": {
            "get": {
                "summary": "Liveness: touches no dependency",
                "responses": {"200": _health("the process serves requests")},
            }
        },
        "/ready": {
            "get": {
                "summary": "Readiness: dependencies, queue and lifecycle",
                "responses": {
                    "200": _health("pass or warn"),
                    "503": _health("a dependency fails or the instance is draining"),
                },
            }
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics of every worker of this instance (text format)",
                "responses": {
                    "200": {
                        "description": "Prometheus text exposition format 0.0.4",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "responses": {"200": {"description": "OpenAPI 3 document"}},
            }
        },
    }


def _slate_paths() -> dict[str, dict[str, Any]]:
    pattern = {"type": "string", "pattern": player_schema.ID_PATTERN}
    slate_id = {"name": "slate_id", "in": "path", "required": True, "schema": pattern}
    query = [
        {
            "name": "sport",
            "in": "query",
            "required": True,
            "schema": {"enum": list(schemas.SPORTS)},
        },
        {
            "name": "contest_type",
            "in": "query",
            "required": False,
            "schema": {"enum": list(schemas.CONTEST_TYPES), "default": "classic"},
            "description": f"DraftKings game types: {schemas.game_types_text()}. A showdown "
            "file lists each player twice (a CPT row and a FLEX/UTIL row); its Roster Position "
            "column is read.",
        },
        {"name": "slate_id", "in": "query", "required": False, "schema": pattern},
    ]
    return {
        "/slates": {
            "post": {
                "summary": "Upload a DraftKings salary CSV as a slate",
                "parameters": query,
                "requestBody": {
                    "required": True,
                    "content": {"text/csv": {"schema": {"type": "string"}}},
                },
                "responses": {
                    "201": _json("SlateSummary", "stored"),
                    "400": _error(
                        "bad file (invalid_slate_file, details name line and column), an "
                        "unknown sport or contest_type, or one the sport does not offer "
                        "(invalid_request, details as for a request body's), a malformed "
                        "slate_id or a body that cannot be read (bad_request)"
                    ),
                    "413": _error(
                        "body over MAX_CONTENT_LENGTH, with Content-Length or chunked "
                        "(request_entity_too_large), or more players than a request may hold "
                        "(too_many_players, details name the first line over MAX_PLAYERS)"
                    ),
                    "415": _error("body is not text/csv (unsupported_media_type)"),
                    "422": _error(
                        "a player outside the bounds of a request's players, e.g. a salary "
                        "over the maximum or a nan projection (invalid_player, the message "
                        "names the rule, details the line and column)"
                    ),
                    "503": _error(
                        "the slate store is unreachable (slate_store_unavailable or "
                        "redis_unavailable, Retry-After)"
                    ),
                },
            }
        },
        "/slates/{slate_id}/projections": {
            "put": {
                "summary": "Merge a projections CSV into an uploaded slate",
                "description": (
                    "Columns by name: DK ID (or Name and Team) to find each player; "
                    "Projection, StdDev, Ownership (percent) and Field Projection to set, each "
                    "optional, at least one. Answers the rows that matched nobody and the "
                    "players no row gave a projection."
                ),
                "parameters": [slate_id],
                "requestBody": {
                    "required": True,
                    "content": {"text/csv": {"schema": {"type": "string"}}},
                },
                "responses": {
                    "200": _json("ProjectionsMerge", "merged and stored"),
                    "400": _error(
                        "a file that cannot be read (invalid_projections_file, details name "
                        "line and column) or a malformed slate_id (bad_request)"
                    ),
                    "404": _error("no such slate, or it expired (slate_not_found)"),
                    "413": _error("body over MAX_CONTENT_LENGTH (request_entity_too_large)"),
                    "415": _error("body is not text/csv (unsupported_media_type)"),
                    "422": _error(
                        "a merged player outside the bounds of a request's players, e.g. an "
                        "ownership over 100 (invalid_player, details name line and column)"
                    ),
                    "503": _error(
                        "the slate store is unreachable (slate_store_unavailable or "
                        "redis_unavailable, Retry-After)"
                    ),
                },
            }
        },
        "/slates/{slate_id}": {
            "get": {
                "summary": "Read an uploaded slate",
                "parameters": [slate_id],
                "responses": {
                    "200": _json("SlateDocument", "the slate"),
                    "400": _error("malformed slate_id (bad_request)"),
                    "404": _error("no such slate, or it expired (slate_not_found)"),
                    "503": _error(
                        "the slate store is unreachable (slate_store_unavailable or "
                        "redis_unavailable, Retry-After)"
                    ),
                },
            }
        },
    }


def build_spec() -> dict[str, Any]:
    """The OpenAPI document as a dict."""
    spec = APISpec(
        title="Lineup optimizer jobs",
        version=VERSION,
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Submit lineup optimization jobs, poll their status, read results."},
    )
    for name, schema in (
        ("OptimizeRequest", schemas.OptimizeRequestSchema),
        ("ContestRequest", contest_schemas.ContestRequestSchema),
        ("ContestResultResponse", response_schemas.ContestResultResponseSchema),
        ("SubmitResponse", response_schemas.SubmitResponseSchema),
        ("StatusDocument", response_schemas.StatusDocumentSchema),
        ("ResultResponse", response_schemas.ResultResponseSchema),
        ("InputResponse", response_schemas.InputResponseSchema),
        ("SlateSummary", response_schemas.SlateSummarySchema),
        ("SlateDocument", response_schemas.SlateDocumentSchema),
        ("ProjectionsMerge", response_schemas.ProjectionsMergeSchema),
        ("Error", response_schemas.ErrorSchema),
    ):
        spec.components.schema(name, schema=schema)
    for path, operations in {**_paths(), **_slate_paths()}.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


@bp.get("/openapi.json")
def openapi_document() -> Response:
    """Serve the document (built once per app)."""
    if EXTENSION_KEY not in current_app.extensions:
        current_app.extensions[EXTENSION_KEY] = build_spec()
    return jsonify(current_app.extensions[EXTENSION_KEY])


def init_app(app: Flask) -> None:
    """Serve /openapi.json."""
    app.register_blueprint(bp)
