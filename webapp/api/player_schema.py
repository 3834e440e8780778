"""The players of a request: their schema, bounds, and a fast path for plain lists.

Large slates (450+ players) make the players list most of a submit's CPU; `plain_player`
checks a player that is a plain dict of plain values in one pass (about ten times faster than
the schema) and anything else takes `PlayerSchema`, so the answers are the same either way.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

ID_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"
MAX_PLAYERS = 1000
# Player bounds, shared by PlayerSchema and its fast path (plain_player).
NAME_MAX = 100
CODE_MAX = 8  # a position, team or opponent code
POSITIONS_MAX = 4
SALARY_MAX = 100_000
PROJECTION_RANGE = (-100, 1000)
STDEV_RANGE = (0, 1000)
OWNERSHIP_RANGE = (0, 100)  # percent of entries


def strict_int(**kwargs: Any) -> fields.Integer:
    return fields.Integer(strict=True, **kwargs)


class FullMatch(validate.Regexp):
    """Regexp that must match the whole value: `$` alone would also let a trailing newline in.
    (Still a Regexp, so the OpenAPI document shows the pattern.)"""

    def __call__(self, value: str) -> str:
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


def id_field(**kwargs: Any) -> fields.String:
    return fields.String(validate=FullMatch(ID_PATTERN), **kwargs)


def is_iso_time(value: object) -> bool:
    """True for an ISO 8601 date-time string with a UTC offset (or Z)."""
    if type(value) is not str or not 10 <= len(value) <= 40:
        return False
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def check_iso_time(value: str) -> None:
    if not is_iso_time(value):
        raise ValidationError("expected an ISO 8601 date-time with a UTC offset, e.g. ...Z")


class PlayerSchema(Schema):
    """One player of a slate, as the client sends it."""

    id = id_field(required=True)
    name = fields.String(required=True, validate=validate.Length(1, NAME_MAX))
    positions = fields.List(
        fields.String(validate=validate.Length(1, CODE_MAX)),
        required=True,
        validate=validate.Length(1, POSITIONS_MAX),
    )
    salary = strict_int(required=True, validate=validate.Range(0, SALARY_MAX))
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
        validate=check_iso_time,
        metadata={"description": "kick-off / tip-off, ISO 8601; needed for late swap"},
    )
    # Left out of the loaded player when not sent (the optimizer never reads it).
    field_projection = fields.Float(
        allow_none=True,
        validate=validate.Range(*PROJECTION_RANGE),
        metadata={
            "description": "the projection the field plays by (contests; default the projection)"
        },
    )
    # No default: a classic player's document stays without it.
    roster_position = fields.String(
        allow_none=True,
        validate=validate.Length(1, CODE_MAX),
        metadata={
            "description": "showdown: the slot kind this row fills, CPT or FLEX (NFL) / UTIL "
            "(NBA); DraftKings lists each player once as each, with its own id and salary"
        },
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
    field_projection = raw.get("field_projection")
    row = raw.get("roster_position")
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
        and (field_projection is None or _number_in(field_projection, *PROJECTION_RANGE))
        and (game_time is None or is_iso_time(game_time))
        and (row is None or _short_text(row, CODE_MAX))
    ):
        return None
    player = {
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
    if "field_projection" in raw:
        player["field_projection"] = None if field_projection is None else float(field_projection)
    if "roster_position" in raw:
        player["roster_position"] = row
    return player


_player_schema = PlayerSchema()


def player_problems(player: object) -> dict[str, Any]:
    """The bounds `player` breaks, as PlayerSchema's messages by field (empty when none): the
    same rules whether the player came in a request, an uploaded salary file or a stored slate."""
    if plain_player(player) is not None:
        return {}
    return _player_schema.validate(player)  # type: ignore[arg-type]


def first_problem(problems: dict[str, Any]) -> tuple[str, str]:
    """The first field of `problems` and its first message (a list's messages are keyed by
    index, e.g. {"positions": {0: ["..."]}})."""
    field, messages = next(iter(problems.items()))
    while isinstance(messages, dict):
        messages = next(iter(messages.values()))
    return field, str(messages[0] if isinstance(messages, list) else messages)


class PlayersField(fields.List):
    """The players list: plain players take the fast path, any other list the full load."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list:
        if type(value) is list:
            players = [plain_player(raw) for raw in value]
            if None not in players:
                return players
        return super()._deserialize(value, attr, data, **kwargs)
