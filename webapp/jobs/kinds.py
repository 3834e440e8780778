"""Job kinds: name -> the function that runs a job of that kind, registered in one place."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol


class JobFunction(Protocol):
    """Runs one job: takes its stored input and a context, returns a JSON-able result."""

    def __call__(self, job_input: dict[str, Any], context: Any) -> Any: ...


class JobKinds(Mapping[str, JobFunction]):
    """The registry of job kinds of one app."""

    def __init__(self) -> None:
        self._kinds: dict[str, JobFunction] = {}

    def register(self, name: str, function: JobFunction | Callable[..., Any]) -> None:
        """Add or replace the function that runs jobs of kind `name`."""
        self._kinds[name] = function

    def __getitem__(self, name: str) -> JobFunction:
        return self._kinds[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._kinds)

    def __len__(self) -> int:
        return len(self._kinds)
