"""A job kind whose CPU-heavy part runs in a child process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# The context a compute function gets in the child: progress(fraction, phase) and a checkpoint
# with load() and save(state), as the optimizer expects.
Compute = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class Done:
    """What `prepare` returns when a job needs no compute: its result."""

    result: Any


@dataclass(frozen=True)
class ProcessKind:
    """`prepare(job_input)` runs on the job thread and returns the payload (or `Done`);
    `compute(payload, context)` runs in a child process and returns the job's result.
    `compute` must be a module-level function (it is sent to the child by reference), and the
    payload and result must pickle. Either may raise JobFailedError; `prepare` may raise a
    transient error (a slate store out of reach)."""

    prepare: Callable[[dict[str, Any]], Any]
    compute: Compute

    def __call__(self, job_input: dict[str, Any], context: Any) -> Any:
        """Both parts in this process, one after the other (tests and benchmarks)."""
        payload = self.prepare(job_input)
        if isinstance(payload, Done):
            return payload.result
        return self.compute(payload, context)
