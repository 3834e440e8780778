"""The job record: a plain dataclass and a pure codec to and from a Redis hash.

Large JSON fields (the input, the result) are stored compressed when that saves space: the first
byte of a stored blob says how it is encoded (`j` plain JSON, `z` zlib-compressed JSON).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from webapp.jobs.states import JobStatus

# Blobs shorter than this stay plain: zlib's header and a hash field's overhead eat the gain.
COMPRESS_MIN_BYTES = 512


def _dumps(value: Any) -> bytes:
    # orjson writes compact UTF-8 JSON several times faster than json; numpy values pass too.
    # What orjson refuses (an int past 64 bits, an unknown type) gets the standard library's
    # chance to write it, or to raise as it always did.
    try:
        return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY)
    except TypeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _loads(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:  # NaN or Infinity written by json.dumps in older records
        return json.loads(raw)


def shown_phase(status: str, phase: str | None) -> str | None:
    """The phase to show for a job: the step its running attempt last reported, and None
    otherwise. The scripts that end an attempt clear the stored phase, but a record can still
    hold one when the job is not running: ended by an older version (kept for JOB_TTL_SECONDS),
    or requeued by recovery while its cut-off attempt, whose token still matches until another
    claim, goes on reporting. So it is read only while the job runs."""
    return (phase or None) if status == JobStatus.RUNNING else None


def encode_blob(value: Any) -> bytes:
    """JSON-encode `value`, compressed when it pays."""
    raw = _dumps(value)
    if len(raw) >= COMPRESS_MIN_BYTES:
        packed = zlib.compress(raw, 6)
        if len(packed) < len(raw):
            return b"z" + packed
    return b"j" + raw


def decode_blob(blob: bytes | None) -> Any:
    """Inverse of encode_blob; None stays None."""
    if not blob:
        return None
    marker, body = blob[:1], blob[1:]
    if marker == b"z":
        body = zlib.decompress(body)
    elif marker != b"j":
        raise ValueError(f"unknown blob encoding {marker!r}")
    return _loads(body)


# Every field of the job hash but the input: what a status read fetches (the input of a
# 465-player slate is 150 KB, and most reads only want the status).
STATUS_FIELDS = (
    "run_id", "kind", "status", "metadata", "progress", "phase", "error", "error_code",
    "attempts", "failed_attempts", "handbacks", "created_at", "updated_at", "started_at",
    "finished_at", "request_id", "user_id", "owner", "claim", "tenant",
)  # fmt: skip


@dataclass
class JobRecord:
    """Everything stored about one job except its result."""

    run_id: str
    kind: str
    status: JobStatus
    input: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)
    progress: float = 0.0
    phase: str = ""
    error: str | None = None
    error_code: str | None = None  # machine-readable cause of a failure, e.g. "cancelled"
    # attempts: how many times a process started the job (every claim counts, hand-backs too);
    # failed_attempts: the starts that ended in a crash (lease ran out) or a transient error,
    # the count MAX_ATTEMPTS limits; handbacks: starts given back uncharged (drain, operator).
    attempts: int = 0
    failed_attempts: int = 0
    handbacks: int = 0
    created_at: str = ""
    updated_at: str = ""
    started_at: str | None = None
    finished_at: str | None = None
    request_id: str | None = None
    user_id: str | None = None
    owner: str | None = None
    claim: str | None = None  # the running attempt's fencing token (internal)
    tenant: str | None = None  # who owns the job (None: AUTH_MODE=none, shared by everyone)

    def to_hash(self) -> dict[str, bytes | str]:
        """Flatten to the field/value pairs stored in the Redis hash."""
        fields: dict[str, bytes | str] = {
            "run_id": self.run_id,
            "kind": self.kind,
            "status": str(self.status),
            "input": encode_blob(self.input),
            "metadata": encode_blob(self.metadata),
            "progress": repr(float(self.progress)),
            "phase": self.phase,
            "attempts": str(self.attempts),
            "failed_attempts": str(self.failed_attempts),
            "handbacks": str(self.handbacks),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }
        optional = {
            "error": self.error,
            "error_code": self.error_code,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "request_id": self.request_id,
            "user_id": self.user_id,
            "owner": self.owner,
            "claim": self.claim,
            "tenant": self.tenant,
        }
        fields.update({name: value for name, value in optional.items() if value})
        return fields

    @classmethod
    def from_hash(cls, raw: Mapping[bytes | str, bytes | str]) -> JobRecord:
        """Rebuild from HGETALL output; tolerant of missing optional fields."""
        blobs = {"input", "metadata"}
        data = {_text(k): (v if _text(k) in blobs else _text(v)) for k, v in raw.items()}
        get = data.get
        return cls(
            run_id=get("run_id") or "",
            kind=get("kind") or "optimize",
            status=JobStatus(get("status") or "pending"),
            input=decode_blob(_bytes(get("input"))) or {},
            metadata=decode_blob(_bytes(get("metadata"))) or {},
            progress=float(get("progress") or 0.0),
            phase=get("phase") or "",
            error=get("error") or None,
            error_code=get("error_code") or None,
            attempts=int(get("attempts") or 0),
            failed_attempts=int(get("failed_attempts") or 0),
            handbacks=int(get("handbacks") or 0),
            created_at=get("created_at") or "",
            updated_at=get("updated_at") or "",
            started_at=get("started_at") or None,
            finished_at=get("finished_at") or None,
            request_id=get("request_id") or None,
            user_id=get("user_id") or None,
            owner=get("owner") or None,
            claim=get("claim") or None,
            tenant=get("tenant") or None,
        )

    def to_status_document(self, *, with_input: bool = False) -> dict[str, Any]:
        """The public status view: everything but the result and internal bookkeeping; the
        input only when asked for (a record read without it has an empty one)."""
        document = {
            "run_id": self.run_id,
            "kind": self.kind,
            "status": str(self.status),
            "progress": self.progress,
            "phase": shown_phase(self.status, self.phase),
            "error": self.error,
            "error_code": self.error_code,
            "attempts": self.attempts,
            "failed_attempts": self.failed_attempts,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "request_id": self.request_id,
            "metadata": self.metadata,
        }
        if with_input:
            document["input"] = self.input
        return document


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else value


def _bytes(value: bytes | str | None) -> bytes | None:
    if value is None:
        return None
    return value if isinstance(value, bytes) else value.encode()
