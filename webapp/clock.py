"""The single source of wall-clock time, stored as ISO 8601 UTC strings."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, timezone-aware in UTC."""
    return datetime.now(UTC)


def to_iso(moment: datetime) -> str:
    """ISO 8601 with milliseconds and a trailing Z, e.g. 2026-01-28T10:30:45.123Z."""
    # isoformat is C code and truncates to the millisecond, as the format promises; strftime
    # cost several times more, and every job write stamps a time.
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def from_iso(text: str) -> datetime:
    """Parse what to_iso wrote."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def now_iso() -> str:
    """to_iso(utcnow())."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"
