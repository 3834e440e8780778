"""The players fast path returns exactly what PlayerSchema would, or steps aside."""

from __future__ import annotations

import math
import random

import pytest
from marshmallow import ValidationError

from webapp.api.player_schema import PlayerSchema, plain_player
from webapp.api.schemas import OptimizeRequestSchema

VALID = {
    "id": "p1",
    "name": "Some Player",
    "positions": ["RB", "WR"],
    "salary": 5000,
    "team": "AAA",
    "opponent": "BBB",
    "projection": 12.5,
}

# Values worth trying in each field: valid, on the bounds, just outside, and of the wrong type.
ODD_VALUES = [
    None, True, False, 0, -1, 1, 100_000, 100_001, -100, -100.5, 1000, 1000.5, 0.0, 12, 12.5,
    math.nan, math.inf, -math.inf, "", "x", "12.5", "7", "a" * 8, "a" * 9, "a" * 64, "a" * 65,
    "a" * 100, "a" * 101, "p1\n", "p 1", "p\u00e91", "QB", [], ["QB"], ["QB", 1], [""],
    ["a" * 9], ["QB"] * 4, ["QB"] * 5, ("QB",), {}, {"QB": 1}, 5000.0, 2**63,
]  # fmt: skip


def _schema_load(raw: object) -> dict | None:
    try:
        return PlayerSchema().load(raw)
    except ValidationError:
        return None


def _agrees(raw: object) -> bool:
    """The fast path stepped aside, or gave what the schema gives, keys in the same order."""
    fast = plain_player(raw)
    if fast is None:
        return True
    slow = _schema_load(raw)
    return slow is not None and fast == slow and list(fast) == list(slow)


def test_a_plain_valid_player_takes_the_fast_path() -> None:
    fast = plain_player(VALID)

    assert fast is not None
    assert fast == PlayerSchema().load(VALID) and list(fast) == list(PlayerSchema().load(VALID))
    assert plain_player({**VALID, "stdev": 3}) == PlayerSchema().load({**VALID, "stdev": 3})
    with_field = {**VALID, "field_projection": 9.5}
    assert _agrees(with_field) and plain_player(with_field)["field_projection"] == 9.5


@pytest.mark.parametrize("field", [*VALID, "stdev", "field_projection"])
def test_every_odd_value_in_each_field_agrees(field: str) -> None:
    for value in ODD_VALUES:
        assert _agrees({**VALID, field: value}), (field, value)


def test_missing_and_extra_keys_step_aside() -> None:
    for key in VALID:
        assert plain_player({k: v for k, v in VALID.items() if k != key}) is None
    assert plain_player({**VALID, "extra": 1}) is None
    assert plain_player([VALID]) is None
    assert plain_player("player") is None


def test_random_mixes_of_odd_values_agree() -> None:
    rng = random.Random(7)
    fields = [*VALID, "stdev"]
    for _ in range(3000):
        raw = dict(VALID)
        for field in rng.sample(fields, rng.randint(1, 3)):
            raw[field] = rng.choice(ODD_VALUES)
        assert _agrees(raw), raw


def test_ids_with_a_trailing_newline_are_refused() -> None:
    """`$` in the id pattern would accept "p1\\n"; ids must match as a whole."""
    body = {"slate_id": "main\n", "players": [VALID, {**VALID, "id": "p2"}]}
    with pytest.raises(ValidationError) as caught:
        OptimizeRequestSchema().load(body)
    assert "slate_id" in caught.value.messages

    with pytest.raises(ValidationError):
        PlayerSchema().load({**VALID, "id": "p1\n"})


def test_a_list_with_one_odd_player_gets_the_full_errors() -> None:
    players = [VALID, {**VALID, "id": "p2", "salary": "lots"}]
    with pytest.raises(ValidationError) as caught:
        OptimizeRequestSchema().load({"slate_id": "main", "players": players})

    assert caught.value.messages == {"players": {1: {"salary": ["Not a valid integer."]}}}


def test_fast_and_full_loads_give_the_same_request() -> None:
    """A whole request loads the same whether its players are plain or not."""
    players = [{**VALID, "id": f"p{i}", "projection": i} for i in range(10)]
    fast = OptimizeRequestSchema().load({"slate_id": "main", "players": players})
    # A tuple is not a plain JSON list: the full load runs for the same players.
    full = OptimizeRequestSchema().load({"slate_id": "main", "players": tuple(players)})

    assert fast == full
    assert all(list(a) == list(b) for a, b in zip(fast.players, full.players, strict=True))
