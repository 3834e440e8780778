"""Job kinds: name -> the function that runs a job of that kind, registered in one place."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

from webapp.compute.kind import ProcessKind


class JobFunction(Protocol):
    """Runs one job: takes its stored input and a context, returns a JSON-able result."""

    def __call__(self, job_input: dict[str, Any], context: Any) -> Any: ...


class JobKinds(Mapping[str, JobFunction | ProcessKind]):
    """The registry of job kinds of one app: a function runs on the job thread, a ProcessKind's
    compute in a child process (see webapp.compute)."""

    def __init__(self) -> None:
        self._kinds: dict[str, JobFunction | ProcessKind] = {}
        self._checks: dict[str, Callable[[dict[str, Any]], None]] = {}

    def register(
        self,
        name: str,
        function: JobFunction | ProcessKind | Callable[..., Any],
        *,
        check: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        """Add or replace the function that runs jobs of kind `name`, and the `check` that
        refuses impossible inputs at submit (it raises; None checks nothing)."""
        self._kinds[name] = function
        self._checks.pop(name, None)
        if check is not None:
            self._checks[name] = check

    def check(self, name: str, job_input: dict[str, Any]) -> None:
        """Run the submit-time check of kind `name` on a validated input (raises to refuse)."""
        check = self._checks.get(name)
        if check is not None:
            check(job_input)

    def compute_modules(self) -> list[str]:
        """The modules of the ProcessKinds' compute functions (a forkserver imports them once)."""
        return sorted(
            {k.compute.__module__ for k in self._kinds.values() if isinstance(k, ProcessKind)}
        )

    def __getitem__(self, name: str) -> JobFunction | ProcessKind:
        return self._kinds[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._kinds)

    def __len__(self) -> int:
        return len(self._kinds)
