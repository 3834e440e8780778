"""Run ids and correlation ids are real ULIDs: timestamped, unique, ordered by millisecond."""

from __future__ import annotations

import os
import time

from ulid import ULID

from webapp.ids import encode_ulid, new_ulid


def test_a_new_id_is_a_ulid_of_now() -> None:
    before = time.time()
    text = new_ulid()
    after = time.time()

    parsed = ULID.from_str(text)
    assert str(parsed) == text and len(text) == 26
    assert before - 0.001 <= parsed.timestamp <= after + 0.001


def test_ids_are_unique_and_sort_by_millisecond() -> None:
    ids = [new_ulid() for _ in range(20_000)]

    assert len(set(ids)) == len(ids)
    stamps = [ULID.from_str(i).milliseconds for i in ids]
    assert stamps == sorted(stamps)
    assert sorted(ids, key=lambda i: i[:10]) == ids  # the time part leads


def test_encoding_matches_python_ulid() -> None:
    """The base32 shortcut writes exactly what python-ulid writes, edges included."""
    values = [bytes(16), b"\xff" * 16, bytes(15) + b"\x01", b"\x80" + bytes(15)]
    values += [os.urandom(16) for _ in range(5_000)]

    for value in values:
        assert encode_ulid(value) == str(ULID.from_bytes(value))
