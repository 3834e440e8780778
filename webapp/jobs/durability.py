"""How many replicas must hold a write before it counts (Redis WAIT)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WaitPolicy:
    """WAIT for `replicas` replicas, at most `timeout_ms` milliseconds."""

    replicas: int
    timeout_ms: int
