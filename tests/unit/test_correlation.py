"""Correlation ids."""

from __future__ import annotations

import pytest
from ulid import ULID

from webapp.observability.correlation import accept_or_mint


@pytest.mark.parametrize(
    "raw",
    ["01ARZ3NDEKTSV4RRFFQ69G5FAV", "abc-123_x.y", "a" * 64],
    ids=["ulid", "token", "max-length"],
)
def test_well_formed_ids_are_kept(raw: str) -> None:
    """A ULID or a short safe token is used as it came."""
    assert accept_or_mint(raw) == (raw, None)


@pytest.mark.parametrize(
    "raw",
    ["a" * 65, "bad\r\nInjected: yes", "naïve", "", "has space", "x\x00y"],
    ids=["too-long", "crlf", "unicode", "empty", "space", "nul"],
)
def test_malformed_ids_are_replaced_by_a_ulid(raw: str) -> None:
    """Anything else is replaced by a fresh ULID, and only its length is reported."""
    new_id, rejected_length = accept_or_mint(raw)

    assert str(ULID.from_str(new_id)) == new_id
    assert rejected_length == len(raw)


def test_missing_header_mints_a_ulid() -> None:
    """No header: a fresh ULID, nothing rejected."""
    new_id, rejected_length = accept_or_mint(None)

    assert ULID.from_str(new_id) and rejected_length is None
