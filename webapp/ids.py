"""ULID strings for run ids and correlation ids.

python-ulid's `ULID()` goes through a process-wide generator that takes a lock to keep ids
monotonic within a millisecond; under gunicorn's request threads that lock was a measurable
share of a submit. These ids only need to be unique, unguessable and ordered by millisecond,
so they are built from the clock and 80 bits from os.urandom, with no shared state.
"""

from __future__ import annotations

import os
import time

from ulid import ULID


def new_ulid() -> str:
    """A fresh ULID string: 48-bit millisecond timestamp, 80 random bits."""
    milliseconds = time.time_ns() // 1_000_000
    return str(ULID.from_bytes(milliseconds.to_bytes(6, "big") + os.urandom(10)))
