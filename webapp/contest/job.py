"""The `contest` job kind: simulate a checked POST /contests request in a compute process.

The request's players and lineups are resolved when it is submitted (a slate's players, an
optimize job's lineups), so the job needs no I/O: `prepare` only hands the input over.
"""

from __future__ import annotations

from typing import Any

from webapp.compute.kind import ProcessKind
from webapp.jobs.errors import JobFailedError


def prepare_contest(job_input: dict[str, Any]) -> dict[str, Any]:
    """The compute payload: the stored input as it is."""
    if job_input.get("players") is None:
        raise JobFailedError("no players in the contest's input", "invalid_request")
    return job_input


def compute_contest(payload: dict[str, Any], context: Any) -> dict[str, Any]:
    """Run the contest simulation; runs in a compute process."""
    from webapp.contest.field import FieldError
    from webapp.contest.run import run_contest
    from webapp.contest.slate import ContestRequestError

    request = {k: v for k, v in payload.items() if k != "players"}
    try:
        return run_contest(payload["players"], request, context.progress, context.checkpoint)
    except ContestRequestError as error:
        raise JobFailedError(str(error), "invalid_request") from error
    except FieldError as error:
        raise JobFailedError(str(error), "infeasible") from error


def make_contest_job() -> ProcessKind:
    """The job kind, for JobKinds.register("contest", ...)."""
    return ProcessKind(prepare=prepare_contest, compute=compute_contest)
