"""The `optimize` job kind: load the slate if needed, run the optimizer, return its result."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from webapp.jobs.context import JobContext
from webapp.jobs.runner import JobFailedError

SlateLoader = Callable[[str], list[dict[str, Any]]]

# The request fields that are optimizer options (the rest is slate identity and players).
OPTION_FIELDS = (
    "sport",
    "n_lineups",
    "n_scenarios",
    "seed",
    "min_unique",
    "locks",
    "excludes",
    "max_exposure",
    "exposure",
    "stack",
    "selection",
    "percentile",
    "min_exposure",
    "correlation",
)


def make_optimize_job(
    load_slate: SlateLoader | None,
    *,
    time_budget_seconds: float | None = None,
    threads: int | None = None,
) -> Callable[[dict[str, Any], JobContext], Any]:
    """Build the job function; `load_slate` fetches players by slate id when none were sent.
    `time_budget_seconds` (OPTIMIZER_TIME_BUDGET_SECONDS) bounds each run: when it runs out
    the lineups found so far are the result, with a warning. `threads`
    (OPTIMIZER_THREADS, None: the CPU count) solve simulation candidates in parallel."""

    def run_optimize_job(job_input: dict[str, Any], context: JobContext) -> dict[str, Any]:
        from webapp.neo4j_client import Neo4jUnavailableError
        from webapp.optimizer import OptimizeOptions, OptimizerError, optimize
        from webapp.slates.repository import SlateNotFoundError

        players = job_input.get("players")
        if players is None:
            if load_slate is None:
                raise JobFailedError("no players in the request and no slate store configured")
            try:
                players = load_slate(job_input["slate_id"])
            except (SlateNotFoundError, Neo4jUnavailableError) as error:
                raise JobFailedError(f"could not load the slate: {error}") from error
        options = OptimizeOptions(
            **{name: job_input[name] for name in OPTION_FIELDS if name in job_input},
            time_budget_seconds=time_budget_seconds,
            threads=threads,
        )
        try:
            return optimize(
                players,
                options,
                progress=context.progress,
                checkpoint=context.checkpoint,
            )
        except OptimizerError as error:
            raise JobFailedError(str(error)) from error

    return run_optimize_job
