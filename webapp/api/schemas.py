"""marshmallow schemas for the optimize API: unknown fields refused, every bound set.

The request is checked here and only here: `OptimizeRequestSchema` loads a body into an
`OptimizeRequest` (the optimizer's `OptimizeOptions` and the players they apply to), with the
bounds `webapp.optimizer.options` defines; the OpenAPI document is built from these schemas.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from webapp.optimizer import options as bounds
from webapp.optimizer.correlation import FACTORS, loading_problems
from webapp.optimizer.options import OptimizeOptions, options_in
from webapp.optimizer.players import check_players
from webapp.optimizer.rules import RULES
from webapp.optimizer.teams import team_problems

ID_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"
SPORTS = tuple(RULES)
MAX_PLAYERS = 1000
# Player bounds, shared by PlayerSchema and its fast path (plain_player).
NAME_MAX = 100
CODE_MAX = 8  # a position, team or opponent code
POSITIONS_MAX = 4
SALARY_MAX = 100_000
PROJECTION_RANGE = (-100, 1000)
STDEV_RANGE = (0, 1000)
OWNERSHIP_RANGE = (0, 100)  # percent of entries
DEFAULTS = OptimizeOptions()


def _int(**kwargs: Any) -> fields.Integer:
    return fields.Integer(strict=True, **kwargs)


class FullMatch(validate.Regexp):
    """Regexp that must match the whole value: `$` alone would also let a trailing newline in.
    (Still a Regexp, so the OpenAPI document shows the pattern.)"""

    def __call__(self, value: str) -> str:
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


def _id(**kwargs: Any) -> fields.String:
    return fields.String(validate=FullMatch(ID_PATTERN), **kwargs)


def is_iso_time(value: object) -> bool:
    """True for an ISO 8601 date-time string with a UTC offset (or Z)."""
    if type(value) is not str or not 10 <= len(value) <= 40:
        return False
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def _check_iso_time(value: str) -> None:
    if not is_iso_time(value):
        raise ValidationError("expected an ISO 8601 date-time with a UTC offset, e.g. ...Z")


class PlayerSchema(Schema):
    """One player of a slate, as the client sends it."""

    id = _id(required=True)
    name = fields.String(required=True, validate=validate.Length(1, NAME_MAX))
    positions = fields.List(
        fields.String(validate=validate.Length(1, CODE_MAX)),
        required=True,
        validate=validate.Length(1, POSITIONS_MAX),
    )
    salary = _int(required=True, validate=validate.Range(0, SALARY_MAX))
    team = fields.String(required=True, validate=validate.Length(1, CODE_MAX))
    opponent = fields.String(required=True, validate=validate.Length(1, CODE_MAX))
    projection = fields.Float(required=True, validate=validate.Range(*PROJECTION_RANGE))
    stdev = fields.Float(load_default=None, allow_none=True, validate=validate.Range(*STDEV_RANGE))
    ownership = fields.Float(
        load_default=None, allow_none=True, validate=validate.Range(*OWNERSHIP_RANGE)
    )
    game_time = fields.String(
        load_default=None,
        allow_none=True,
        validate=_check_iso_time,
        metadata={"description": "kick-off / tip-off, ISO 8601; needed for late swap"},
    )


_ID = re.compile(ID_PATTERN)
_PLAYER_KEYS = frozenset(PlayerSchema._declared_fields)
_REQUIRED_PLAYER_KEYS = frozenset(
    name for name, field in PlayerSchema._declared_fields.items() if field.required
)


def _short_text(value: object, longest: int) -> bool:
    return type(value) is str and 1 <= len(value) <= longest


def _number_in(value: object, low: float, high: float) -> bool:
    return (
        (type(value) is float or type(value) is int)
        and math.isfinite(value)
        and low <= value <= high
    )


def plain_player(raw: object) -> dict[str, Any] | None:
    """What PlayerSchema().load(raw) returns, for a player made only of plain JSON values well
    inside the rules; None for anything else, which then gets the schema's full load (and its
    error messages). A 456-player body loads in about 1.3 ms this way instead of 12 ms, which
    is most of the CPU a POST of it costs (about 6 ms instead of 16);
    tests/unit/test_player_fast_path.py compares the two on valid, boundary and broken players."""
    if type(raw) is not dict or not _REQUIRED_PLAYER_KEYS <= raw.keys() <= _PLAYER_KEYS:
        return None
    player_id, positions, salary = raw["id"], raw["positions"], raw["salary"]
    stdev, ownership, game_time = raw.get("stdev"), raw.get("ownership"), raw.get("game_time")
    if not (
        type(player_id) is str
        and _ID.fullmatch(player_id)
        and _short_text(raw["name"], NAME_MAX)
        and type(positions) is list
        and 1 <= len(positions) <= POSITIONS_MAX
        and all(_short_text(position, CODE_MAX) for position in positions)
        and type(salary) is int
        and 0 <= salary <= SALARY_MAX
        and _short_text(raw["team"], CODE_MAX)
        and _short_text(raw["opponent"], CODE_MAX)
        and _number_in(raw["projection"], *PROJECTION_RANGE)
        and (stdev is None or _number_in(stdev, *STDEV_RANGE))
        and (ownership is None or _number_in(ownership, *OWNERSHIP_RANGE))
        and (game_time is None or is_iso_time(game_time))
    ):
        return None
    return {
        "id": player_id,
        "name": raw["name"],
        "positions": list(positions),
        "salary": salary,
        "team": raw["team"],
        "opponent": raw["opponent"],
        "projection": float(raw["projection"]),
        "stdev": None if stdev is None else float(stdev),
        "ownership": None if ownership is None else float(ownership),
        "game_time": game_time,
    }


class PlayersField(fields.List):
    """The players list: plain players take the fast path, any other list the full load."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list:
        if type(value) is list:
            players = [plain_player(raw) for raw in value]
            if None not in players:
                return players
        return super()._deserialize(value, attr, data, **kwargs)


class StackSchema(Schema):
    """NFL stack: a QB with some of his pass catchers, optionally a bring-back."""

    qb_with = _int(load_default=1, validate=validate.Range(*bounds.STACK_QB_WITH))
    bring_back = _int(load_default=0, validate=validate.Range(*bounds.STACK_BRING_BACK))


class TeamExposureSchema(Schema):
    """One team's exposure: at most `max` and at least `min` of the lineups hold `players`
    or more of its players (1: any; 3: a 3-man team stack)."""

    max = fields.Float(load_default=1.0, validate=validate.Range(0, 1))
    min = fields.Float(load_default=0.0, validate=validate.Range(0, 1))
    players = _int(load_default=1, validate=validate.Range(1, bounds.MAX_ROSTER))

    @validates_schema
    def _min_within_max(self, data: dict[str, Any], **_: Any) -> None:
        if data["min"] > data["max"]:
            raise ValidationError({"min": ["must not be above max"]})


class LateSwapSchema(Schema):
    """Lineups to re-optimize around the players whose games have started by `now`."""

    now = fields.String(required=True, validate=_check_iso_time)
    lineups = fields.List(
        fields.List(_id(), validate=validate.Length(1, bounds.MAX_ROSTER)),
        required=True,
        validate=validate.Length(1, bounds.MAX_LINEUPS),
        metadata={"description": "player ids per slot in DraftKings order, one list a lineup"},
    )


class OptimizeRequestSchema(Schema):
    """POST /optimize body."""

    slate_id = _id(
        load_default=None,
        metadata={"description": "an uploaded slate (POST /slates); optional with players"},
    )
    sport = fields.String(load_default=DEFAULTS.sport, validate=validate.OneOf(SPORTS))
    n_lineups = _int(
        load_default=DEFAULTS.n_lineups,
        validate=validate.Range(bounds.MIN_LINEUPS, bounds.MAX_LINEUPS),
    )
    n_scenarios = _int(
        load_default=DEFAULTS.n_scenarios, validate=validate.Range(0, bounds.MAX_SCENARIOS)
    )
    seed = _int(load_default=None, allow_none=True, validate=validate.Range(0, bounds.MAX_SEED))
    players = PlayersField(
        fields.Nested(PlayerSchema),
        load_default=None,
        validate=validate.Length(2, MAX_PLAYERS),
    )
    min_unique = _int(
        load_default=DEFAULTS.min_unique, validate=validate.Range(1, bounds.MAX_ROSTER)
    )
    locks = fields.List(
        _id(),
        load_default=list,
        validate=validate.Length(0, bounds.MAX_ROSTER),
    )
    excludes = fields.List(
        _id(),
        load_default=list,
        validate=validate.Length(0, MAX_PLAYERS),
    )
    max_exposure = fields.Float(
        load_default=DEFAULTS.max_exposure, validate=validate.Range(0, 1, min_inclusive=False)
    )
    exposure = fields.Dict(
        keys=_id(),
        values=fields.Float(validate=validate.Range(0, 1)),
        load_default=dict,
        validate=validate.Length(max=MAX_PLAYERS),
    )
    min_exposure = fields.Dict(
        keys=_id(),
        values=fields.Float(validate=validate.Range(0, 1)),
        load_default=dict,
        validate=validate.Length(max=MAX_PLAYERS),
        metadata={"description": "per-player minimum share of the lineups"},
    )
    correlation = fields.Dict(
        keys=fields.String(validate=validate.Length(1, CODE_MAX)),
        values=fields.Dict(
            keys=fields.String(validate=validate.OneOf(FACTORS)),
            values=fields.Float(validate=validate.Range(*bounds.LOADING_BOUNDS)),
        ),
        load_default=dict,
        validate=validate.Length(max=bounds.MAX_CORRELATION_POSITIONS),
        metadata={"description": "factor loadings by position overriding the defaults"},
    )
    stack = fields.Nested(StackSchema, load_default=None, allow_none=True)
    team_exposure = fields.Dict(
        keys=fields.String(validate=validate.Length(1, CODE_MAX)),
        values=fields.Nested(TeamExposureSchema),
        load_default=dict,
        validate=validate.Length(max=64),
        metadata={"description": "team and stack exposure: {team: {max, min, players}}"},
    )
    selection = fields.String(
        load_default=DEFAULTS.selection, validate=validate.OneOf(bounds.SELECTIONS)
    )
    percentile = fields.Float(
        load_default=DEFAULTS.percentile, validate=validate.Range(*bounds.PERCENTILE_BOUNDS)
    )
    late_swap = fields.Nested(LateSwapSchema, load_default=None, allow_none=True)

    @validates_schema
    def _check_cross_fields(self, data: dict[str, Any], **_: Any) -> None:
        errors = cross_field_errors(data)
        if errors:
            raise ValidationError(errors)

    @post_load
    def _to_request(self, data: dict[str, Any], **_: Any) -> OptimizeRequest:
        return OptimizeRequest(
            options=OptimizeOptions(**options_in(data)),
            slate_id=data["slate_id"],
            players=data["players"],
            late_swap=data["late_swap"],
        )


def cross_field_errors(data: dict[str, Any]) -> dict[str, list[str]]:
    """The rules of a request that span fields: errors keyed by field (empty when it is fine)."""
    errors: dict[str, list[str]] = {}
    if data.get("players") is None and data.get("slate_id") is None:
        errors["players"] = ["send players, or the slate_id of an uploaded slate"]
    if data.get("stack") and data.get("sport") != "nfl":
        errors["stack"] = ["stacks apply to nfl only"]
    overlap = set(data.get("locks") or ()) & set(data.get("excludes") or ())
    if overlap:
        errors["locks"] = [f"players both locked and excluded: {sorted(overlap)}"]
    roster_size = RULES[data.get("sport", "nfl")].size
    if data.get("min_unique", 1) > roster_size:
        errors["min_unique"] = [f"at most {roster_size} for {data.get('sport', 'nfl')}"]
    if data.get("players"):
        errors.update(check_players(data["players"], data.get("sport", "nfl")))
    if problems := loading_problems(data.get("correlation"), data.get("sport", "nfl")):
        errors["correlation"] = problems
    if problems := team_problems(data.get("team_exposure") or {}, roster_size):
        errors["team_exposure"] = problems
    return errors


@dataclass(frozen=True)
class OptimizeRequest:
    """A checked POST /optimize body: the optimizer's options and what they apply to (the
    players sent, or the uploaded slate to read them from; the lineups of a late swap)."""

    options: OptimizeOptions
    slate_id: str | None
    players: list[dict[str, Any]] | None
    late_swap: dict[str, Any] | None

    def job_input(self) -> dict[str, Any]:
        """The request as its job stores it: every field of the body, defaults filled in."""
        given = {"slate_id": self.slate_id, "players": self.players, "late_swap": self.late_swap}
        return {
            name: given[name] if name in given else getattr(self.options, name)
            for name in _REQUEST_FIELDS
        }


_request_schema = OptimizeRequestSchema()
_REQUEST_FIELDS = tuple(_request_schema.load_fields)


def load_optimize_request(body: Any) -> OptimizeRequest:
    """The checked POST /optimize body (ValidationError naming every bad field)."""
    return _request_schema.load(body)
