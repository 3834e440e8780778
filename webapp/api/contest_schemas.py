"""marshmallow schema of POST /contests: unknown fields refused, every number and list bounded.

The bounds live beside the code they protect (webapp.contest.*); this module only states them
for requests and the OpenAPI document. Rules that need the slate's players (lineups that exist
and keep the roster rules, ownership present) are checked once the players are known
(webapp.contest.checks).
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from webapp.api.player_schema import MAX_PLAYERS, PlayerSchema, PlayersField, id_field, strict_int
from webapp.contest.field import FieldKnobs
from webapp.contest.payouts import MAX_PAYOUT_ROWS, MAX_PRIZE, payout_problems
from webapp.contest.simulate import DEFAULT_OPTIMAL_SIMS, MAX_OPTIMAL_SIMS
from webapp.optimizer import options as bounds
from webapp.optimizer.players import check_players
from webapp.optimizer.rules import CLASSIC, game_type

# Contests simulate DraftKings Classic NFL and NBA rosters: the field model knows their stacks,
# not MLB's or NHL's team rules, nor showdown's captain.
CONTEST_SPORTS = ("nfl", "nba")
CONTEST_TYPES = (CLASSIC,)
MAX_FIELD_SIZE = 500_000  # entries of a contest, ours included
MAX_SIMS = 100_000
DEFAULT_SIMS = 10_000
MAX_ENTRY_FEE = 100_000.0
RUN_ID_PATTERN = r"^[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}$"
KNOBS = FieldKnobs()


def _share(**kwargs: Any) -> fields.Float:
    return fields.Float(validate=validate.Range(0, 1), **kwargs)


class PayoutSchema(Schema):
    """One row of DraftKings' payout table: each rank from min_rank to max_rank pays prize."""

    min_rank = strict_int(required=True, validate=validate.Range(1, MAX_FIELD_SIZE))
    max_rank = strict_int(required=True, validate=validate.Range(1, MAX_FIELD_SIZE))
    prize = fields.Float(required=True, validate=validate.Range(0, MAX_PRIZE))


class FieldModelSchema(Schema):
    """Knobs of the modelled field (docs/contest.md); each defaults to the documented value."""

    optimizer_share = _share(load_default=KNOBS.optimizer_share)
    optimizer_noise = fields.Float(
        load_default=KNOBS.optimizer_noise, validate=validate.Range(0, 2)
    )
    stack = _share(load_default=KNOBS.stack)
    double_stack = _share(load_default=KNOBS.double_stack)
    bring_back = _share(load_default=KNOBS.bring_back)
    leftover_mean = fields.Float(
        load_default=KNOBS.leftover_mean,
        validate=validate.Range(0, 50_000, min_inclusive=False),
        metadata={"description": "dollars: mean salary left under the cap by drawn lineups"},
    )


class ContestSchema(Schema):
    """The contest the lineups are entered in."""

    field_size = strict_int(required=True, validate=validate.Range(2, MAX_FIELD_SIZE))
    entry_fee = fields.Float(
        required=True, validate=validate.Range(0, MAX_ENTRY_FEE, min_inclusive=False)
    )
    max_entries = strict_int(load_default=bounds.MAX_LINEUPS, validate=validate.Range(1, 10_000))
    payouts = fields.List(
        fields.Nested(PayoutSchema), required=True, validate=validate.Length(1, MAX_PAYOUT_ROWS)
    )
    field_lineups = fields.List(
        fields.List(id_field(), validate=validate.Length(1, bounds.MAX_ROSTER)),
        load_default=None,
        allow_none=True,
        validate=validate.Length(1, MAX_FIELD_SIZE),
        metadata={"description": "the other entries, one list of player ids each (after lock)"},
    )
    n_sims = strict_int(load_default=DEFAULT_SIMS, validate=validate.Range(1, MAX_SIMS))
    seed = strict_int(
        load_default=None, allow_none=True, validate=validate.Range(0, bounds.MAX_SEED)
    )
    optimal_sims = strict_int(
        load_default=DEFAULT_OPTIMAL_SIMS,
        validate=validate.Range(0, MAX_OPTIMAL_SIMS),
        metadata={"description": "sims solved for their best lineup (optimal_pct)"},
    )
    field_model = fields.Nested(FieldModelSchema, load_default=None, allow_none=True)

    @validates_schema
    def _check_payouts(self, data: dict[str, Any], **_: Any) -> None:
        if problems := payout_problems(data.get("payouts") or (), data.get("field_size", 0)):
            raise ValidationError({"payouts": problems})


class ContestRequestSchema(Schema):
    """POST /contests body."""

    slate_id = id_field(
        load_default=None,
        metadata={"description": "an uploaded slate (POST /slates); optional with players"},
    )
    players = PlayersField(
        fields.Nested(PlayerSchema), load_default=None, validate=validate.Length(2, MAX_PLAYERS)
    )
    sport = fields.String(load_default="nfl", validate=validate.OneOf(CONTEST_SPORTS))
    contest_type = fields.String(load_default=CLASSIC, validate=validate.OneOf(CONTEST_TYPES))
    lineups = fields.List(
        fields.List(id_field(), validate=validate.Length(1, bounds.MAX_ROSTER)),
        load_default=None,
        validate=validate.Length(1, bounds.MAX_LINEUPS),
        metadata={"description": "our entries, one list of player ids each"},
    )
    from_run_id = fields.String(
        load_default=None,
        validate=validate.Regexp(RUN_ID_PATTERN),
        metadata={"description": "enter the lineups of this complete optimize job instead"},
    )
    contest = fields.Nested(ContestSchema, required=True)

    @validates_schema
    def _check_cross_fields(self, data: dict[str, Any], **_: Any) -> None:
        if errors := contest_field_errors(data):
            raise ValidationError(errors)

    @post_load
    def _to_input(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["contest"]["field_model"] = data["contest"]["field_model"] or {}
        return data


def contest_field_errors(data: dict[str, Any]) -> dict[str, list[str]]:
    """The rules of a contest request that span fields (empty when it is fine)."""
    errors: dict[str, list[str]] = {}
    sport, contest_type = data.get("sport", "nfl"), data.get("contest_type", CLASSIC)
    if sport not in CONTEST_SPORTS or contest_type not in CONTEST_TYPES:  # a slate's or a run's
        message = f"contests simulate nfl and nba classic, not {sport} {contest_type}"
        return {"contest_type": [message]}
    if data.get("players") is None and data.get("slate_id") is None and not data.get("from_run_id"):
        errors["players"] = ["send players, the slate_id of an uploaded slate, or a from_run_id"]
    if (data.get("lineups") is None) == (data.get("from_run_id") is None):
        errors["lineups"] = ["send lineups, or the from_run_id of an optimize job (not both)"]
    if data.get("players"):
        errors.update(check_players(data["players"], sport))
    contest = data.get("contest") or {}
    if data.get("lineups") is not None and contest:
        errors.update(lineup_count_errors(len(data["lineups"]), contest))
    size = game_type(sport).size
    for name, rows in (
        ("lineups", data.get("lineups")),
        ("contest.field_lineups", contest.get("field_lineups")),
    ):
        short = next((k for k, row in enumerate(rows or ()) if len(row) != size), None)
        if short is not None:
            errors.setdefault(name, []).append(
                f"lineup {short}: a {sport} lineup holds {size} players"
            )
    return errors


def lineup_count_errors(entered: int, contest: dict[str, Any]) -> dict[str, list[str]]:
    """How many lineups a contest takes: at most max_entries, fewer than field_size, and with
    field_lineups exactly field_size entries in all."""
    errors = {}
    if entered > contest["max_entries"]:
        errors["lineups"] = [f"{entered} lineups; the contest takes {contest['max_entries']}"]
    elif entered >= contest["field_size"]:
        errors["lineups"] = [f"{entered} lineups fill a field_size of {contest['field_size']}"]
    given = contest.get("field_lineups")
    if given is not None and len(given) + entered != contest["field_size"]:
        errors["contest.field_lineups"] = [
            f"{len(given)} field lineups and {entered} of ours make {len(given) + entered} "
            f"entries; field_size is {contest['field_size']}"
        ]
    return errors


_schema = ContestRequestSchema()


def load_contest_request(body: Any) -> dict[str, Any]:
    """The checked POST /contests body as its job stores it (ValidationError naming every bad
    field)."""
    return _schema.load(body)
