"""Resume state: what a job keeps between attempts, and how a saved state is recognised."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

STATE_VERSION = 1


class Checkpoint(Protocol):
    """Where an optimize run keeps its resume state (small, JSON-serialisable)."""

    def load(self) -> dict[str, Any] | None:
        """The state saved by an earlier run of the same job, or None."""
        ...

    def save(self, state: dict[str, Any]) -> None:
        """Keep `state` for a later run of the same job."""
        ...


def fingerprint(players: Sequence[Mapping[str, Any]], settings: Mapping[str, Any]) -> str:
    """A digest of the request: a saved state is only used by the request that made it."""
    text = json.dumps({"players": list(players), "settings": settings}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def derived_seed(players: Sequence[Mapping[str, Any]], settings: Mapping[str, Any]) -> int:
    """A seed taken from the request itself, for requests that give none."""
    return int(fingerprint(players, {**settings, "seed": None})[:15], 16)


def load_state(checkpoint: Checkpoint | None, digest: str) -> dict[str, Any]:
    """The saved state if it belongs to this request, else an empty one."""
    state = checkpoint.load() if checkpoint is not None else None
    if not state or state.get("version") != STATE_VERSION or state.get("request") != digest:
        return {}
    return state


def new_state(digest: str, **fields: Any) -> dict[str, Any]:
    """A state to save, tagged with the request digest."""
    return {"version": STATE_VERSION, "request": digest, **fields}
