"""Response bodies, typed for /openapi.json (written by the service, never loaded)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

# Statuses a client sees (an expired job answers 410 instead of a document).
STATUSES = ("pending", "running", "complete", "failed")


class LineupPlayerSchema(Schema):
    """One player of a lineup, in his roster slot."""

    slot = fields.String(required=True, metadata={"description": "roster slot, e.g. FLEX"})
    id = fields.String(required=True, metadata={"description": "DraftKings player id"})
    name = fields.String(required=True)
    positions = fields.List(fields.String(), required=True)
    team = fields.String(required=True)
    salary = fields.Integer(required=True)
    projection = fields.Float(required=True)
    game_time = fields.String(
        metadata={"description": "ISO 8601; present when the slate has game times"}
    )


class LineupSchema(Schema):
    """A lineup: players in DraftKings slot order, its totals and simulated statistics."""

    players = fields.List(fields.Nested(LineupPlayerSchema), required=True)
    salary = fields.Integer(required=True)
    projection = fields.Float(required=True)
    mean = fields.Float(allow_none=True)
    stdev = fields.Float(allow_none=True)
    p50 = fields.Float(allow_none=True)
    p90 = fields.Float(allow_none=True)
    p99 = fields.Float(allow_none=True)
    best_frequency = fields.Float(allow_none=True)


class ResultSchema(Schema):
    """What an optimize job returns."""

    lineups = fields.List(fields.Nested(LineupSchema), required=True)
    exposures = fields.Dict(
        keys=fields.String(),
        values=fields.Float(),
        required=True,
        metadata={"description": "player id -> fraction of the lineups he is in"},
    )
    settings = fields.Dict(required=True, metadata={"description": "the options used"})
    n_candidates = fields.Integer(required=True)
    warnings = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "fewer lineups than asked, exposure caps rounded, ..."},
    )


class ResultResponseSchema(Schema):
    """GET /optimize/<run_id>/result of a complete job."""

    run_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.Equal("complete"))
    result = fields.Nested(ResultSchema, required=True)


class SlateSummarySchema(Schema):
    """201 body of POST /slates."""

    slate_id = fields.String(required=True)
    sport = fields.String(required=True)
    contest_type = fields.String(required=True, metadata={"description": "classic or showdown"})
    players = fields.Integer(
        required=True, metadata={"description": "how many players (showdown: rows)"}
    )
    games = fields.Integer(required=True)
    first_lock = fields.String(allow_none=True, metadata={"description": "ISO 8601 UTC"})
    last_lock = fields.String(allow_none=True, metadata={"description": "ISO 8601 UTC"})
    store = fields.String(validate=validate.OneOf(("neo4j", "redis")))
    warnings = fields.List(fields.String())
    links = fields.Dict()


class SlateDocumentSchema(Schema):
    """GET /slates/<slate_id>."""

    slate_id = fields.String(required=True)
    sport = fields.String(allow_none=True)
    contest_type = fields.String(required=True)
    players = fields.List(fields.Dict(), required=True, metadata={"description": "players"})
    games = fields.Integer(required=True)
    first_lock = fields.String(allow_none=True)
    last_lock = fields.String(allow_none=True)
    links = fields.Dict()


class LinksSchema(Schema):
    """Where to read a job's status and result."""

    self = fields.String(required=True)
    result = fields.String(required=True)
    input = fields.String(required=True)


class SubmitResponseSchema(Schema):
    """202 body of POST /optimize."""

    run_id = fields.String(required=True, metadata={"description": "ULID of the job"})
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    links = fields.Nested(LinksSchema, required=True)


class MetadataSchema(Schema):
    """What the job is about, for filtering and display."""

    slate_id = fields.String(allow_none=True)
    sport = fields.String(allow_none=True)
    n_scenarios = fields.Integer(allow_none=True)
    n_lineups = fields.Integer(allow_none=True)
    n_players = fields.Integer(allow_none=True)


class StatusDocumentSchema(Schema):
    """GET /optimize/<run_id>: everything about the job but its result."""

    run_id = fields.String(required=True)
    kind = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    progress = fields.Float(required=True, metadata={"minimum": 0, "maximum": 1})
    phase = fields.String(
        allow_none=True,
        metadata={"description": "the running attempt's step, e.g. selecting; null otherwise"},
    )
    error = fields.String(allow_none=True)
    error_code = fields.String(
        allow_none=True,
        metadata={
            "description": "why the job failed: cancelled, infeasible, invalid_request, "
            "slate_not_found, gave_up, worker_lost, timed_out, out_of_memory, "
            "compute_crashed, internal_error, job_failed"
        },
    )
    attempts = fields.Integer(
        required=True,
        metadata={"description": "how many times a process started the job (hand-backs too)"},
    )
    failed_attempts = fields.Integer(
        required=True,
        metadata={
            "description": "starts that ended in a crash or a transient error; the job fails "
            "when this reaches MAX_ATTEMPTS"
        },
    )
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)
    started_at = fields.String(allow_none=True)
    finished_at = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)
    metadata = fields.Nested(MetadataSchema, required=True)
    input = fields.Dict(metadata={"description": "the validated request; only with ?include=input"})
    links = fields.Nested(LinksSchema, required=True)


class InputResponseSchema(Schema):
    """GET /optimize/<run_id>/input."""

    run_id = fields.String(required=True)
    input = fields.Dict(
        required=True,
        metadata={"description": "the validated request, a slate's players resolved"},
    )


class ErrorBodySchema(Schema):
    """The error object."""

    code = fields.String(required=True)
    message = fields.String(required=True)
    details = fields.Raw(allow_none=True)


class ErrorSchema(Schema):
    """Every error response: {"error": {code, message, details}}."""

    error = fields.Nested(ErrorBodySchema, required=True)
