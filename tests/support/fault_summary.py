"""One JSON line per fault scenario (jobs accepted, completed, run twice, lost), written to
$FAULT_SUMMARY_DIR/<scenario>.json when that variable is set; bench/fault_matrix.py prints them."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import redis

from webapp.jobs.keys import Keys

SUMMARY_DIR_ENV = "FAULT_SUMMARY_DIR"


@dataclass(frozen=True)
class FaultOutcome:
    """What became of the jobs a scenario submitted, seen from outside the service."""

    scenario: str
    accepted: int
    completed: int
    ran_twice: int
    lost: int
    statuses: dict[str, int]


def observe(
    scenario: str,
    jobs: redis.Redis,
    counters: redis.Redis | None,
    prefix: str,
    run_ids: list[str],
) -> FaultOutcome:
    """Read each job's status (jobs Redis) and start count (counters Redis). Without counters
    (jobs of the real kinds, which count nothing) a start is a claim: the record's `attempts`."""
    keys = Keys(prefix)
    with jobs.pipeline(transaction=False) as pipe:
        for run_id in run_ids:
            pipe.hmget(keys.job(run_id), ["status", "attempts"])
        fields = pipe.execute()
    statuses = [(status or b"").decode() or "missing" for status, _attempts in fields]
    if counters is None:
        starts = [attempts for _status, attempts in fields]
    else:
        starts = counters.mget([f"{prefix}:test:starts:{r}" for r in run_ids]) if run_ids else []
    counts: dict[str, int] = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return FaultOutcome(
        scenario=scenario,
        accepted=len(run_ids),
        completed=counts.get("complete", 0),
        ran_twice=sum(int(s or 0) > 1 for s in starts),
        lost=counts.get("missing", 0),
        statuses=counts,
    )


class FaultReport:
    """Collects a scenario's outcome at the end of its test, pass or fail."""

    def __init__(self, scenario: str) -> None:
        self.scenario = scenario
        self._collect: Callable[[], FaultOutcome] | None = None

    def watch(
        self, jobs: redis.Redis, counters: redis.Redis | None, prefix: str, run_ids: list[str]
    ) -> None:
        """Observe these jobs (the list may still grow) when the test ends; `counters` None
        counts starts from the job records (see `observe`)."""
        self._collect = lambda: observe(self.scenario, jobs, counters, prefix, run_ids)

    def write(self) -> None:
        directory = os.environ.get(SUMMARY_DIR_ENV)
        if not directory or self._collect is None:
            return
        try:
            outcome = asdict(self._collect())
        except redis.RedisError as error:
            outcome = {"scenario": self.scenario, "error": str(error)}
        path = Path(directory) / f"{self.scenario}.json"
        path.write_text(json.dumps(outcome) + "\n")
