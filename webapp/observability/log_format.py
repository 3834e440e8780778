"""How lines look: JSON (production) or structlog's ConsoleRenderer (a developer's terminal).

LOG_FORMAT=json or console; `auto` (the default) picks console when stdout is a terminal, so
`scripts/serve` in a terminal is readable and the same service in a container writes JSON.
"""

from __future__ import annotations

import sys
from typing import Any, Protocol

import orjson
import structlog


class LineSink(Protocol):
    def write(self, line: str) -> None: ...


def wants_console(log_format: str) -> bool:
    """True when lines should be rendered for a human."""
    if log_format == "auto":
        return sys.stdout.isatty()
    return log_format == "console"


def console_renderer() -> structlog.dev.ConsoleRenderer:
    """Aligned, coloured (on a terminal) key=value lines with readable tracebacks."""
    return structlog.dev.ConsoleRenderer(colors=sys.stdout.isatty())


class ConsoleLines:
    """Re-renders the access log's pre-rendered JSON lines for the console."""

    def __init__(self, sink: LineSink) -> None:
        self._sink = sink
        self._render = console_renderer()

    def write(self, line: str) -> None:
        """Render one JSON line as a console line."""
        event: dict[str, Any] = orjson.loads(line)
        self._sink.write(self._render(None, str(event.get("level", "info")), event))
