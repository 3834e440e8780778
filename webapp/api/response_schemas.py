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
    roi = fields.Float(
        metadata={"description": 'selection "roi": % return in the simulated contest'}
    )


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


class ProjectionsMergeSchema(Schema):
    """200 body of PUT /slates/<slate_id>/projections."""

    slate_id = fields.String(required=True)
    sport = fields.String(allow_none=True)
    players = fields.Integer(required=True, metadata={"description": "players of the slate"})
    matched = fields.Integer(required=True, metadata={"description": "rows merged"})
    unmatched_count = fields.Integer(required=True)
    unmatched = fields.List(
        fields.Dict(),
        required=True,
        metadata={"description": "[{line, id, name, team}] of rows that matched nobody (100)"},
    )
    unprojected = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "ids of the players no row gave a projection"},
    )
    warnings = fields.List(fields.String(), required=True)
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
            "description": "why the job failed: cancelled, infeasible, solver_limit, "
            "invalid_request, "
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


class ContestLineupPlayerSchema(Schema):
    """One player of an entered lineup, in his roster slot."""

    slot = fields.String(required=True)
    id = fields.String(required=True)
    name = fields.String(required=True)


class ContestLineupSchema(Schema):
    """An entered lineup and how it fares in the simulated contests."""

    players = fields.List(fields.Nested(ContestLineupPlayerSchema), required=True)
    salary = fields.Integer(required=True)
    projection = fields.Float(required=True)
    roi = fields.Float(required=True, metadata={"description": "100 * (mean payout - fee) / fee"})
    roi_se = fields.Float(required=True, metadata={"description": "standard error of roi"})
    win_pct = fields.Float(
        required=True, metadata={"description": "% of sims ranked 1st (ties too)"}
    )
    top1_pct = fields.Float(required=True, metadata={"description": "% of sims in the top 1%"})
    cash_pct = fields.Float(required=True, metadata={"description": "% of sims paid anything"})
    mean_payout = fields.Float(required=True)
    dupes = fields.Integer(required=True, metadata={"description": "copies among the field"})
    ownership_sum = fields.Float(required=True, metadata={"description": "sum of %"})
    ownership_product = fields.Float(required=True, metadata={"description": "product of shares"})


class ContestPlayerSchema(Schema):
    """One player of the slate: ownership projected and in the field, ours, optimal."""

    id = fields.String(required=True)
    name = fields.String(required=True)
    proj_ownership = fields.Float(required=True)
    field_ownership = fields.Float(required=True)
    exposure = fields.Float(required=True, metadata={"description": "% of our lineups"})
    optimal_pct = fields.Float(
        required=True,
        metadata={"description": "% of the solved sims whose best lineup holds him"},
    )
    leverage = fields.Float(required=True, metadata={"description": "optimal_pct - proj_ownership"})


class PortfolioSchema(Schema):
    """All our entries together."""

    entries = fields.Integer(required=True)
    fees = fields.Float(required=True)
    mean_payout = fields.Float(required=True)
    roi = fields.Float(required=True)
    roi_se = fields.Float(required=True)
    p_profit = fields.Float(required=True, metadata={"description": "% of sims paying > fees"})


class FieldSummarySchema(Schema):
    """The field our entries met."""

    size = fields.Integer(required=True, metadata={"description": "entries, ours included"})
    entries = fields.Integer(required=True, metadata={"description": "entries of the field"})
    unique_lineups = fields.Integer(required=True)
    source = fields.String(required=True, validate=validate.OneOf(("model", "given")))
    optimizer_entries = fields.Integer(required=True)
    ownership_mae = fields.Float(allow_none=True, metadata={"description": "points"})
    ownership_max_error = fields.Float(allow_none=True, metadata={"description": "points"})
    salary_histogram = fields.List(
        fields.Dict(), required=True, metadata={"description": "[{min, max, pct}] by salary"}
    )
    max_copies = fields.Integer(required=True)
    stack_pct = fields.Float(metadata={"description": "NFL: % of entries with a QB stack"})


class ContestResultSchema(Schema):
    """What a contest job returns."""

    lineups = fields.List(fields.Nested(ContestLineupSchema), required=True)
    players = fields.List(fields.Nested(ContestPlayerSchema), required=True)
    portfolio = fields.Nested(PortfolioSchema, required=True)
    field = fields.Nested(FieldSummarySchema, required=True)
    settings = fields.Dict(required=True, metadata={"description": "the contest simulated"})
    warnings = fields.List(fields.String(), required=True)


class ContestResultResponseSchema(Schema):
    """GET /contests/<run_id>/result of a complete job."""

    run_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.Equal("complete"))
    result = fields.Nested(ContestResultSchema, required=True)
