"""What the runner tells observers about attempts (metrics listen; the default ignores it).

The runner calls these at the points where it logs the same facts, from its own threads; an
observer must be quick and must not raise.
"""

from __future__ import annotations

from typing import Any

from webapp.jobs.record import JobRecord


class JobEvents:
    """Observer of job attempts; every method is a no-op here."""

    def started(self, record: JobRecord) -> None:
        """An attempt of `record` started on this process."""

    def finished(self, record: JobRecord, status: str, duration_s: float) -> None:
        """An attempt wrote its outcome: status `complete` or `failed`."""

    def attempt_ended(self, outcome: str) -> None:
        """An attempt ended without an outcome: `fenced` or `handed_back`."""

    def reclaimed(self, outcome: str, tenant: str | None = None) -> None:
        """A job whose lease ran out went back to `pending` or, out of attempts, `failed`;
        `tenant` is the failed job's tenant (None: none, or not read)."""

    def redis_error(self) -> None:
        """A runner call to Redis failed (claim, heartbeat, recovery)."""


NO_EVENTS = JobEvents()


def job_size(metadata: dict[str, Any]) -> dict[str, Any]:
    """How big a job is, for its log lines: players, lineups, scenarios (None when unknown)."""
    return {
        "players": metadata.get("n_players"),
        "lineups": metadata.get("n_lineups"),
        "scenarios": metadata.get("n_scenarios"),
    }
