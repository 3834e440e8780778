"""The `optimize` job kind: run the optimizer (or a late swap), return lineups people can use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from webapp.compute.kind import ProcessKind
from webapp.jobs.errors import JobFailedError
from webapp.lineups.describe import describe_lineups
from webapp.lineups.late_swap import late_swap
from webapp.lineups.roundings import exposure_warnings

SlateLoader = Callable[[str], list[dict[str, Any]]]


def _players(job_input: dict[str, Any], load_slate: SlateLoader | None) -> list[dict[str, Any]]:
    """The request's players, or (for jobs stored before slates were read at submit) its
    slate's, loaded now. Neo4j out of reach is transient (Neo4jUnavailableError): the job is
    retried later."""
    from webapp.slates.neo4j_slates import SlateNotFoundError

    players = job_input.get("players")
    if players is not None:
        return players
    if load_slate is None:
        raise JobFailedError(
            "no players in the request and no slate store configured", "slate_not_found"
        )
    try:
        return load_slate(job_input["slate_id"])
    except SlateNotFoundError as error:
        raise JobFailedError(f"could not load the slate: {error}", "slate_not_found") from error


def make_optimize_job(
    load_slate: SlateLoader | None,
    *,
    time_budget_seconds: float | None = None,
    threads: int | None = None,
) -> ProcessKind:
    """Build the job kind: its players are resolved on the job thread (`load_slate` fetches
    them by slate id when none were sent), the optimizer runs in a compute process.
    `time_budget_seconds` bounds each run: when it runs out the lineups found so far are the
    result, with a warning. `threads` (OPTIMIZER_THREADS, None: the CPU count) solve
    simulation candidates in parallel."""

    def prepare(job_input: dict[str, Any]) -> dict[str, Any]:
        players = _players(job_input, load_slate)
        request = {k: v for k, v in job_input.items() if k != "players"}
        return {
            "players": players,
            "request": request,
            "limits": {"time_budget_seconds": time_budget_seconds, "threads": threads},
        }

    return ProcessKind(prepare=prepare, compute=compute_optimize)


def compute_optimize(payload: dict[str, Any], context: Any) -> dict[str, Any]:
    """Run the optimizer (or a late swap) on a prepared payload; runs in a compute process."""
    from webapp.optimizer import (
        InfeasibleError,
        OptimizeOptions,
        OptimizerError,
        SolverLimitError,
        optimize,
    )
    from webapp.optimizer.options import options_in

    players, job_input = payload["players"], payload["request"]
    fields = options_in(job_input)
    fields.update(payload["limits"])
    try:
        if job_input.get("late_swap"):
            result = late_swap(players, job_input, fields, context.progress)
        else:
            result = optimize(
                players,
                OptimizeOptions(**fields),
                progress=context.progress,
                checkpoint=context.checkpoint,
            )
    except InfeasibleError as error:
        raise JobFailedError(str(error), "infeasible") from error
    except SolverLimitError as error:
        raise JobFailedError(str(error), "solver_limit") from error
    except OptimizerError as error:
        raise JobFailedError(str(error), "invalid_request") from error
    result["warnings"] = [*result.get("warnings", ()), *exposure_warnings(job_input)]
    return describe_lineups(result, players)
