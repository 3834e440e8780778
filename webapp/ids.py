"""ULID strings for run ids and correlation ids.

python-ulid's `ULID()` goes through a process-wide generator that takes a lock to keep ids
monotonic within a millisecond; under gunicorn's request threads that lock was a measurable
share of a submit. These ids only need to be unique, unguessable and ordered by millisecond,
so they are built from the clock and 80 bits from os.urandom, with no shared state, and
written out by binascii's base32 (C code) with its alphabet mapped to Crockford's.
"""

from __future__ import annotations

import base64
import os
import time

_CROCKFORD = bytes.maketrans(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", b"0123456789ABCDEFGHJKMNPQRSTVWXYZ"
)


def encode_ulid(value: bytes) -> str:
    """The 26-character Crockford base32 text of a 16-byte ULID."""
    # 128 bits in 26 digits of 5 bits leave 2 leading zero bits; four zero bytes in front make
    # 160 bits, 32 base32 digits, of which the first 6 are those zeros.
    return base64.b32encode(bytes(4) + value)[6:].translate(_CROCKFORD).decode()


def new_ulid() -> str:
    """A fresh ULID string: 48-bit millisecond timestamp, 80 random bits."""
    milliseconds = time.time_ns() // 1_000_000
    return encode_ulid(milliseconds.to_bytes(6, "big") + os.urandom(10))
