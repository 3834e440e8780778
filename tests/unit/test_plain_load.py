"""The plain-body fast path returns exactly what OptimizeRequestSchema would, or steps aside."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest
from marshmallow import Schema, ValidationError, fields

from webapp.api.plain_load import PlainLoader
from webapp.api.schemas import (
    PLAIN_REQUEST_LOADER,
    OptimizeRequestSchema,
    load_optimize_request,
)

PLAYERS = [
    {"id": f"p{i}", "name": f"Player {i}", "positions": [position], "salary": 5000 + i,
     "team": "AAA" if i % 2 else "BBB", "opponent": "BBB" if i % 2 else "AAA",
     "projection": 10.0 + i}
    for i, position in enumerate(["QB", "RB", "RB", "WR", "WR", "WR", "TE", "DST", "WR"])
]  # fmt: skip
MINIMAL = {"slate_id": "main", "players": PLAYERS}
EVERY_PLAIN_FIELD = {
    "slate_id": "main:2026-12-01", "sport": "nfl", "n_lineups": 20, "n_scenarios": 500,
    "seed": 7, "players": PLAYERS, "min_unique": 2, "locks": ["p0"], "excludes": ["p8"],
    "max_exposure": 0.6, "selection": "percentile", "percentile": 75,
}  # fmt: skip
# Values worth trying in each top-level field: valid, on the bounds, just outside, wrong types.
ODD_VALUES = [
    None, True, False, 0, -1, 1, 2, 9, 10, 150, 151, 100_000, 100_001, 0.5, 1.0, 1.5, 99, 99.5,
    math.nan, math.inf, -math.inf, 2**63 - 1, 2**63, "", "x", "1", "0.5", "nfl", "nba", "NFL",
    "mean", "percentile", "best_frequency", "main", "a" * 64, "a" * 65, "main\n", "ma in",
    "m\u00e9", [], ["p0"], ["p8"], ["p0", "p0"], ["p0\n"], [1], [None], {}, {"p0": 0.5},
    {"qb_with": 2}, PLAYERS, PLAYERS[:1], [*PLAYERS[:3], {"id": "p0"}],
]  # fmt: skip
SCHEMA = OptimizeRequestSchema()


def _schema_load(raw: object) -> dict | None:
    try:
        return SCHEMA.load(raw)
    except ValidationError:
        return None


def _fast(raw: object) -> dict | None:
    return PLAIN_REQUEST_LOADER.load(raw)


def _agrees(raw: object) -> bool:
    """The fast path stepped aside, or gave what the schema gives: the same values of the same
    types (75.0, not 75), keys in the same order (repr shows both)."""
    fast = _fast(raw)
    if fast is None:
        return True
    slow = _schema_load(raw)
    return slow is not None and repr(fast) == repr(slow)


@pytest.mark.parametrize("body", [MINIMAL, EVERY_PLAIN_FIELD], ids=["minimal", "every-field"])
def test_plain_valid_bodies_take_the_fast_path(body: dict) -> None:
    fast = _fast(body)

    assert fast is not None
    assert repr(fast) == repr(SCHEMA.load(body))
    assert load_optimize_request(body) == fast


def test_defaults_are_fresh_objects() -> None:
    """A default list or dict is never shared between two loaded bodies."""
    first, second = _fast(MINIMAL), _fast(MINIMAL)

    assert first is not None and second is not None
    first["locks"].append("p1")
    assert second["locks"] == [] and first["exposure"] is not second["exposure"]


@pytest.mark.parametrize("field", sorted(OptimizeRequestSchema().load_fields))
def test_every_odd_value_in_each_field_agrees(field: str) -> None:
    for value in ODD_VALUES:
        assert _agrees({**EVERY_PLAIN_FIELD, field: value}), (field, value)


def test_random_mixes_of_odd_values_agree() -> None:
    rng = random.Random(11)
    names = sorted(OptimizeRequestSchema().load_fields)
    taken = 0
    for _ in range(3000):
        raw: dict[str, Any] = dict(EVERY_PLAIN_FIELD)
        for field in rng.sample(names, rng.randint(1, 3)):
            if rng.random() < 0.2:
                raw.pop(field, None)
            else:
                raw[field] = rng.choice(ODD_VALUES)
        assert _agrees(raw), raw
        taken += _fast(raw) is not None
    assert taken > 100  # the mixes exercise the fast path, not only the fallback


@pytest.mark.parametrize(
    "body",
    [
        {**MINIMAL, "exposure": {"p0": 0.5}},
        {**MINIMAL, "stack": {"qb_with": 2}},
        {**MINIMAL, "stack": None},
        {**MINIMAL, "unknown": 1},
        {"n_lineups": 2},
        {**MINIMAL, "locks": ["p0"], "excludes": ["p0"]},
        {**MINIMAL, "sport": "nba"},
        {**MINIMAL, "min_unique": 9, "sport": "nba"},
        {**MINIMAL, "n_lineups": True},
        {**MINIMAL, "percentile": "75"},
        [MINIMAL],
        None,
    ],
    ids=[
        "exposure", "stack", "stack-null", "unknown-key", "neither", "lock-and-exclude",
        "positions-of-other-sport", "min-unique-over-roster", "bool-as-int", "numeric-string",
        "list-body", "null-body",
    ],
)  # fmt: skip
def test_what_only_the_schema_can_judge_steps_aside(body: object) -> None:
    """Fields left to marshmallow, cross-field errors and odd types all take the full load."""
    assert _fast(body) is None
    assert _agrees(body)


def test_errors_still_come_from_the_schema() -> None:
    """A body the fast path refuses gets marshmallow's messages through load_optimize_request."""
    with pytest.raises(ValidationError) as caught:
        load_optimize_request({**MINIMAL, "n_lineups": 151, "locks": ["p0"], "excludes": ["p0"]})

    assert "n_lineups" in caught.value.messages


def test_renamed_fields_are_refused_when_compiling() -> None:
    class Renamed(Schema):
        value = fields.Integer(data_key="Value")

    with pytest.raises(ValueError, match="renamed"):
        PlainLoader(Renamed(), check=lambda data: {})


def test_unknown_field_kinds_step_aside_only_when_present() -> None:
    class WithDict(Schema):
        count = fields.Integer(strict=True, load_default=1)
        extra = fields.Dict(load_default=dict)

    loader = PlainLoader(WithDict(), check=lambda data: {})

    assert loader.load({"count": 3}) == {"count": 3, "extra": {}}
    assert loader.load({"count": 3, "extra": {}}) is None
