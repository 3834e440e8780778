"""marshmallow schemas for the optimize API: unknown fields refused, every bound set.

The request is checked here and only here: `OptimizeRequestSchema` loads a body into an
`OptimizeRequest` (the optimizer's `OptimizeOptions` and the players they apply to), with the
bounds `webapp.optimizer.options` defines; the OpenAPI document is built from these schemas.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from webapp.api.player_schema import (
    CODE_MAX,
    MAX_PLAYERS,
    PlayerSchema,
    PlayersField,
    check_iso_time,
    id_field,
    strict_int,
)
from webapp.optimizer import options as bounds
from webapp.optimizer.factors import FACTORS, loading_problems
from webapp.optimizer.options import OptimizeOptions, options_in
from webapp.optimizer.players import check_players
from webapp.optimizer.rules import (
    CLASSIC,
    CONTEST_TYPES,
    GAME_TYPES,
    SPORTS,
    GameType,
    contest_types,
)
from webapp.optimizer.teams import MAX_TEAM_RULES, team_problems

SPORT_RULE = validate.OneOf(SPORTS)  # a request body's sport and an upload's ?sport=
CONTEST_TYPE_RULE = validate.OneOf(CONTEST_TYPES)  # ... and their contest_type
DEFAULTS = OptimizeOptions()


def game_types_text() -> str:
    """The game types offered, their slots and caps, as the OpenAPI document shows them."""
    return "; ".join(
        f"{sport} {contest}: {','.join(s.name for s in rules.slots)}, cap {rules.salary_cap}"
        for (sport, contest), rules in GAME_TYPES.items()
    )


class StackSchema(Schema):
    """NFL stack: a QB with some of his pass catchers, optionally a bring-back."""

    qb_with = strict_int(load_default=1, validate=validate.Range(*bounds.STACK_QB_WITH))
    bring_back = strict_int(load_default=0, validate=validate.Range(*bounds.STACK_BRING_BACK))


class TeamExposureSchema(Schema):
    """One team's exposure: at most `max` and at least `min` of the lineups hold `players`
    or more of its players (1: any; 3: a 3-man team stack)."""

    max = fields.Float(load_default=1.0, validate=validate.Range(0, 1))
    min = fields.Float(load_default=0.0, validate=validate.Range(0, 1))
    players = strict_int(load_default=1, validate=validate.Range(1, bounds.MAX_ROSTER))

    @validates_schema
    def _min_within_max(self, data: dict[str, Any], **_: Any) -> None:
        if data["min"] > data["max"]:
            raise ValidationError({"min": ["must not be above max"]})


class LateSwapSchema(Schema):
    """Lineups to re-optimize around the players whose games have started by `now`."""

    now = fields.String(required=True, validate=check_iso_time)
    lineups = fields.List(
        fields.List(id_field(), validate=validate.Length(1, bounds.MAX_ROSTER)),
        required=True,
        validate=validate.Length(1, bounds.MAX_LINEUPS),
        metadata={"description": "player ids per slot in DraftKings order, one list a lineup"},
    )


class OptimizeRequestSchema(Schema):
    """POST /optimize body."""

    slate_id = id_field(
        load_default=None,
        metadata={"description": "an uploaded slate (POST /slates); optional with players"},
    )
    sport = fields.String(load_default=DEFAULTS.sport, validate=SPORT_RULE)
    n_lineups = strict_int(
        load_default=DEFAULTS.n_lineups,
        validate=validate.Range(bounds.MIN_LINEUPS, bounds.MAX_LINEUPS),
    )
    n_scenarios = strict_int(
        load_default=DEFAULTS.n_scenarios, validate=validate.Range(0, bounds.MAX_SCENARIOS)
    )
    seed = strict_int(
        load_default=None, allow_none=True, validate=validate.Range(0, bounds.MAX_SEED)
    )
    players = PlayersField(
        fields.Nested(PlayerSchema),
        load_default=None,
        validate=validate.Length(2, MAX_PLAYERS),
    )
    min_unique = strict_int(
        load_default=DEFAULTS.min_unique, validate=validate.Range(1, bounds.MAX_ROSTER)
    )
    locks = fields.List(
        id_field(),
        load_default=list,
        validate=validate.Length(0, bounds.MAX_ROSTER),
    )
    excludes = fields.List(
        id_field(),
        load_default=list,
        validate=validate.Length(0, MAX_PLAYERS),
    )
    max_exposure = fields.Float(
        load_default=DEFAULTS.max_exposure, validate=validate.Range(0, 1, min_inclusive=False)
    )
    exposure = fields.Dict(
        keys=id_field(),
        values=fields.Float(validate=validate.Range(0, 1)),
        load_default=dict,
        validate=validate.Length(max=MAX_PLAYERS),
    )
    min_exposure = fields.Dict(
        keys=id_field(),
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
    captain_with = strict_int(
        load_default=None,
        allow_none=True,
        validate=validate.Range(*bounds.CAPTAIN_WITH),
        metadata={"description": "showdown: the captain's team has at least this many FLEX/UTIL"},
    )
    team_stack = fields.List(
        strict_int(validate=validate.Range(*bounds.TEAM_STACK_SIZE)),
        load_default=list,
        validate=validate.Length(0, bounds.MAX_TEAM_STACKS),
        metadata={
            "description": "MLB/NHL: e.g. [5, 3]: 5 hitters (skaters) of one team, 3 of another"
        },
    )
    avoid_opposing = fields.Boolean(
        load_default=DEFAULTS.avoid_opposing,
        metadata={
            "description": "no player against the lineup's DST (NFL), pitchers (MLB), goalie (NHL)"
        },
    )
    team_exposure = fields.Dict(
        keys=fields.String(validate=validate.Length(1, CODE_MAX)),
        values=fields.Nested(TeamExposureSchema),
        load_default=dict,
        validate=validate.Length(max=MAX_TEAM_RULES),
        metadata={"description": "team and stack exposure: {team: {max, min, players}}"},
    )
    selection = fields.String(
        load_default=DEFAULTS.selection, validate=validate.OneOf(bounds.SELECTIONS)
    )
    percentile = fields.Float(
        load_default=DEFAULTS.percentile, validate=validate.Range(*bounds.PERCENTILE_BOUNDS)
    )
    late_swap = fields.Nested(LateSwapSchema, load_default=None, allow_none=True)
    # By name: contest_schemas imports this module (its sport rule), so not the other way round.
    contest = fields.Nested(
        "ContestSchema",
        load_default=None,
        allow_none=True,
        metadata={"description": 'selection "roi": the contest, as POST /contests takes it'},
    )
    contest_type = fields.String(
        load_default=DEFAULTS.contest_type,
        validate=CONTEST_TYPE_RULE,
        metadata={"description": f"DraftKings game types: {game_types_text()}"},
    )

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
    overlap = set(data.get("locks") or ()) & set(data.get("excludes") or ())
    if overlap:
        errors["locks"] = [f"players both locked and excluded: {sorted(overlap)}"]
    sport = data.get("sport", DEFAULTS.sport)
    contest = data.get("contest_type", DEFAULTS.contest_type)
    rules = GAME_TYPES.get((sport, contest))
    if rules is None:
        offered = ", ".join(contest_types(sport))
        errors["contest_type"] = [f"{sport} offers {offered}, not {contest}"]
        return errors
    errors.update(_game_type_errors(data, rules))
    errors.update(_roi_errors(data, rules))
    return errors


_GAME_TYPE_OPTIONS = {
    "stack": lambda data: bool(data.get("stack")),
    "captain_with": lambda data: data.get("captain_with") is not None,
    "team_stack": lambda data: bool(data.get("team_stack")),
    "avoid_opposing": lambda data: bool(data.get("avoid_opposing")),
}


def _game_type_errors(data: dict[str, Any], rules: GameType) -> dict[str, list[str]]:
    """The request's fields checked against its game type's rules."""
    errors: dict[str, list[str]] = {}
    for option, given in _GAME_TYPE_OPTIONS.items():
        if given(data) and option not in rules.options:
            offered = sorted(f"{s} {c}" for (s, c), r in GAME_TYPES.items() if option in r.options)
            errors[option] = [f"{option} applies to {', '.join(offered)}, not {rules.name}"]
    if data.get("min_unique", 1) > rules.size:
        errors["min_unique"] = [f"at most {rules.size} for {rules.name}"]
    if len(data.get("locks") or ()) > rules.size:
        errors.setdefault("locks", []).append(f"at most {rules.size} for {rules.name}")
    if data.get("players"):
        errors.update(check_players(data["players"], rules.sport, rules.contest_type))
    if problems := loading_problems(data.get("correlation"), rules.outcomes):
        errors["correlation"] = problems
    if problems := team_problems(data.get("team_exposure") or {}, rules.size):
        errors["team_exposure"] = problems
    if "team_stack" not in errors and (problems := _team_stack_problems(data, rules)):
        errors["team_stack"] = problems
    return errors


def _team_stack_problems(data: dict[str, Any], rules: GameType) -> list[str]:
    """Team stacks a lineup cannot hold: over a team's maximum, or more players than slots."""
    sizes = data.get("team_stack") or []
    slots = sum(1 for slot in rules.slots if slot.positions & rules.team_stack_positions)
    problems = []
    if rules.max_from_team is not None and any(size > rules.max_from_team for size in sizes):
        problems.append(f"at most {rules.max_from_team} players of a team in {rules.name}")
    if sum(sizes) > slots:
        problems.append(f"the sizes add up to {sum(sizes)}; a lineup has {slots} slots for them")
    return problems


def _roi_errors(data: dict[str, Any], rules: GameType) -> dict[str, list[str]]:
    """selection "roi" and a contest go together, on simulated scenarios."""
    from webapp.api.contest_schemas import CONTEST_SPORTS, lineup_count_errors

    contest, roi = data.get("contest"), data.get("selection") == "roi"
    if roi and not contest:
        return {"contest": ['selection "roi" needs the contest to simulate']}
    if contest and not roi:
        return {"contest": ['a contest is used by selection "roi" only']}
    if not roi:
        return {}
    if rules.sport not in CONTEST_SPORTS or rules.contest_type != CLASSIC:
        message = f'selection "roi" simulates nfl and nba classic, not {rules.name}'
        return {"contest_type": [message]}
    if data.get("n_scenarios", 0) == 0:
        return {"n_scenarios": ['selection "roi" simulates contests: above 0']}
    counts = lineup_count_errors(data.get("n_lineups", 1), contest)
    return {"n_lineups" if k == "lineups" else k: v for k, v in counts.items()}


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
