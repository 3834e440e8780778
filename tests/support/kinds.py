"""Deterministic job kinds for tests, steered by the request's slate_id.

slate_id          behaviour
noop              returns a tiny result at once
sleep:<seconds>   sleeps in 50 ms steps, reporting progress, honouring fencing
fail              fails with a message
crash             SIGKILLs its own process, as the OOM killer would
progress          reports three progress steps, then completes
transient:<n>     meets a transient error (a dependency out of reach) in its first n attempts
flaky-neo4j:<n>   raises Neo4jUnavailableError on its first n starts, then completes
flaky-redis:<n>   raises redis.ConnectionError on its first n starts, then completes

Every start of a job increments `<prefix>:test:starts:<run_id>` and every finished run
`<prefix>:test:finishes:<run_id>` (when TEST_COUNTER_REDIS_URL is set), so tests can prove a job
ran exactly once; `<prefix>:test:pid:<run_id>` holds the pid of the process that started it
last. A result carries `start`: which start of the job produced it (1, 2, ...).
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import redis

from webapp.clients.neo4j_client import Neo4jUnavailableError
from webapp.jobs.context import JobContext
from webapp.jobs.errors import JobFailedError, TransientJobError
from webapp.jobs.kinds import JobKinds


class Counters:
    """Counts starts and finishes of test jobs in Redis (optional)."""

    def __init__(self, url: str | None, prefix: str) -> None:
        self._client = redis.Redis.from_url(url) if url else None
        self._prefix = prefix

    def bump(self, what: str, run_id: str) -> int:
        """Count one event and return the count so far (0 when not counting); retried through a
        Redis outage (bounded) so it is never lost."""
        if self._client is None:
            return 0
        deadline = time.monotonic() + 30
        while True:
            try:
                return int(self._client.incr(f"{self._prefix}:test:{what}:{run_id}"))
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def note_pid(self, run_id: str) -> None:
        """Remember which process started the job last (`<prefix>:test:pid:<run_id>`)."""
        if self._client is not None:
            self._client.set(f"{self._prefix}:test:pid:{run_id}", os.getpid())


def make_scripted_job(counters: Counters):
    """The job function that behaves as its slate_id says."""

    def scripted_job(job_input: dict[str, Any], context: JobContext) -> dict[str, Any]:
        start = counters.bump("starts", context.run_id)
        counters.note_pid(context.run_id)
        script = job_input.get("slate_id") or "noop"
        if script == "fail":
            raise JobFailedError("scripted failure")
        if script.startswith("flaky-"):
            _fail_transiently(script, start)
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
        return {"lineups": [], "script": script, "attempt": context.attempt, "start": start}

    return scripted_job


def _fail_transiently(script: str, start: int) -> None:
    """flaky-<dependency>:<n>: the dependency is unavailable for the job's first n starts."""
    dependency, times = script.removeprefix("flaky-").split(":", 1)
    if start > int(times):
        return
    if dependency == "neo4j":
        raise Neo4jUnavailableError("Neo4j at 127.0.0.1:7687 is unavailable (scripted)")
    raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def _sleep(seconds: float, context: JobContext) -> None:
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        time.sleep(min(0.05, left))
        context.raise_if_cancelled()
    context.progress(1.0, "slept")


def scripted_kinds(
    counter_url: str | None = None, prefix: str = "dfs", *, check: Any = None
) -> JobKinds:
    """A registry whose `optimize` kind is the scripted job (with `check` at submit, if any),
    and whose `contest` kind is the real one."""
    from webapp.contest.checks import check_contest
    from webapp.contest.job import make_contest_job

    kinds = JobKinds()
    kinds.register("optimize", make_scripted_job(Counters(counter_url, prefix)), check=check)
    kinds.register("contest", make_contest_job(), check=check_contest)
    return kinds
