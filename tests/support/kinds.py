"""Deterministic job kinds for tests, steered by the request's slate_id.

slate_id          behaviour
noop              returns a tiny result at once
sleep:<seconds>   sleeps in 50 ms steps, reporting progress, honouring fencing
fail              fails with a message
crash             SIGKILLs its own process, as the OOM killer would
progress          reports three progress steps, then completes
transient:<n>     meets a transient error (a dependency out of reach) in its first n attempts

Every start of a job increments `<prefix>:test:starts:<run_id>` and every finished run
`<prefix>:test:finishes:<run_id>` (when TEST_COUNTER_REDIS_URL is set), so tests can prove a job
ran exactly once.
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import redis

from webapp.jobs.context import JobContext
from webapp.jobs.errors import JobFailedError, TransientJobError
from webapp.jobs.kinds import JobKinds


class Counters:
    """Counts starts and finishes of test jobs in Redis (optional)."""

    def __init__(self, url: str | None, prefix: str) -> None:
        self._client = redis.Redis.from_url(url) if url else None
        self._prefix = prefix

    def bump(self, what: str, run_id: str) -> None:
        """Count one event; retried through a Redis outage (bounded) so it is never lost."""
        if self._client is None:
            return
        deadline = time.monotonic() + 30
        while True:
            try:
                self._client.incr(f"{self._prefix}:test:{what}:{run_id}")
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)


def make_scripted_job(counters: Counters):
    """The job function that behaves as its slate_id says."""

    def scripted_job(job_input: dict[str, Any], context: JobContext) -> dict[str, Any]:
        counters.bump("starts", context.run_id)
        script = job_input.get("slate_id") or "noop"
        if script == "fail":
            raise JobFailedError("scripted failure")
        if script == "crash":
            os.kill(os.getpid(), signal.SIGKILL)  # as the OOM killer would
        if script.startswith("transient:") and context.attempt <= int(script.split(":")[1]):
            raise TransientJobError("the slate store is out of reach")
        if script.startswith("sleep:"):
            _sleep(float(script.split(":", 1)[1]), context)
        elif script == "progress":
            for step in (0.25, 0.5, 0.75):
                context.progress(step, "scripted")
        counters.bump("finishes", context.run_id)
        return {"lineups": [], "script": script, "attempt": context.attempt}

    return scripted_job


def _sleep(seconds: float, context: JobContext) -> None:
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        time.sleep(min(0.05, left))
        context.raise_if_cancelled()
    context.progress(1.0, "slept")


def scripted_kinds(
    counter_url: str | None = None, prefix: str = "dfs", *, check: Any = None
) -> JobKinds:
    """A registry whose `optimize` kind is the scripted job (with `check` at submit, if any)."""
    kinds = JobKinds()
    kinds.register("optimize", make_scripted_job(Counters(counter_url, prefix)), check=check)
    return kinds
