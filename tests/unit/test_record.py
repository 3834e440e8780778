"""The job record codec."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from webapp.jobs.record import (
    COMPRESS_MIN_BYTES,
    JobRecord,
    decode_blob,
    encode_blob,
    shown_phase,
)
from webapp.jobs.states import JobStatus


def _record(**overrides: object) -> JobRecord:
    fields = {
        "run_id": "01J0000000000000000000000A",
        "kind": "optimize",
        "status": JobStatus.RUNNING,
        "input": {"slate_id": "s1", "players": [{"id": "p1"}]},
        "metadata": {"slate_id": "s1", "n_players": 1},
        "progress": 0.5,
        "phase": "simulating",
        "attempts": 2,
        "handbacks": 1,
        "created_at": "2026-01-01T00:00:00.000Z",
        "updated_at": "2026-01-01T00:00:01.000Z",
        "started_at": "2026-01-01T00:00:00.500Z",
        "request_id": "req-1",
        "user_id": "u-1",
    }
    fields.update(overrides)
    return JobRecord(**fields)  # type: ignore[arg-type]


def test_round_trip_through_hash_bytes() -> None:
    """A record survives to_hash -> Redis bytes -> from_hash unchanged."""
    record = _record()
    as_redis = {
        k.encode(): v if isinstance(v, bytes) else v.encode() for k, v in record.to_hash().items()
    }

    assert JobRecord.from_hash(as_redis) == record


def test_missing_optional_fields_read_as_defaults() -> None:
    """A hash with only the required fields decodes, with None/0 for the rest."""
    raw = {b"run_id": b"X", b"status": b"pending", b"input": encode_blob({})}

    record = JobRecord.from_hash(raw)

    assert (record.error, record.attempts, record.started_at, record.kind) == (
        None,
        0,
        None,
        "optimize",
    )


def test_unknown_fields_are_ignored() -> None:
    """Fields written by a newer version (or bookkeeping like enqueued_ms) do not break reads."""
    raw = {**_record().to_hash(), "enqueued_ms": "123", "something_new": "x"}

    assert JobRecord.from_hash(raw).run_id == "01J0000000000000000000000A"


@pytest.mark.parametrize(
    ("value", "marker"),
    [({"a": 1}, b"j"), ({"players": [{"id": f"p{i}", "name": "x" * 20} for i in range(50)]}, b"z")],
    ids=["small-plain", "large-compressed"],
)
def test_blobs_compress_only_when_large(value: object, marker: bytes) -> None:
    """Small blobs stay plain JSON; large ones are zlib-compressed; both decode back."""
    blob = encode_blob(value)

    assert blob[:1] == marker
    assert decode_blob(blob) == value


def test_compression_threshold_is_respected() -> None:
    """A blob just under the threshold is never compressed."""
    text = "a" * (COMPRESS_MIN_BYTES - 10)

    assert encode_blob(text)[:1] == b"j"


def test_unknown_blob_encoding_is_an_error() -> None:
    """A blob with an unknown marker is refused rather than misread."""
    with pytest.raises(ValueError, match="unknown blob encoding"):
        decode_blob(b"x{}")


def test_status_document_has_no_result_and_no_bookkeeping() -> None:
    """The public status view leaves out owner and hand-back counts."""
    document = _record(owner="host:1").to_status_document()

    assert "owner" not in document and "handbacks" not in document and "result" not in document
    assert document["status"] == "running" and "input" not in document
    assert _record().to_status_document(with_input=True)["input"]["slate_id"] == "s1"


def test_blobs_take_numpy_values_and_integers_past_64_bits() -> None:
    """Results may hold numpy numbers; a value orjson refuses is written by json instead."""
    assert decode_blob(encode_blob({"mean": np.float64(1.5), "count": np.int64(3)})) == {
        "mean": 1.5,
        "count": 3,
    }
    assert decode_blob(encode_blob({"big": 2**70})) == {"big": 2**70}


def test_blobs_written_with_nan_by_older_versions_still_read() -> None:
    """json.dumps wrote NaN and Infinity, which strict JSON parsers refuse."""
    older = b"j" + json.dumps({"stdev": float("nan"), "p99": float("inf")}).encode()

    decoded = decode_blob(older)

    assert math.isnan(decoded["stdev"]) and decoded["p99"] == float("inf")


@pytest.mark.parametrize(
    ("status", "phase", "shown"),
    [
        ("running", "selecting", "selecting"),
        ("running", "", None),
        ("complete", "selecting", None),
        ("failed", "simulating", None),
        ("pending", "selecting", None),
    ],
)
def test_the_phase_shows_only_while_running(status: str, phase: str, shown: str | None) -> None:
    """The stored phase is the running attempt's step; the dashboard's rows read statuses as
    plain strings, the status document as JobStatus, and both get the same answer."""
    assert shown_phase(status, phase) == shown
    assert shown_phase(JobStatus(status), phase) == shown
