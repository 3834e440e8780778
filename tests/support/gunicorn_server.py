"""Real gunicorn processes for tests; by default the service with the scripted job kind."""

from __future__ import annotations

import json
from typing import Any

from bench import harness
from bench.harness import ROOT

__all__ = ["ROOT", "GunicornServer"]

SCRIPTED_APP = "tests.support.apps:create_scripted_app()"


class GunicornServer(harness.GunicornServer):
    """The harness server; its app is the scripted one unless `app` names another."""

    def __init__(self, *args: Any, app: str = SCRIPTED_APP, **kwargs: Any) -> None:
        super().__init__(*args, app=app, **kwargs)

    def log_lines(self) -> list[dict[str, Any]]:
        """Every log line parsed as JSON (fails on a line that is not JSON)."""
        lines = []
        for raw in self.log_text().splitlines():
            if raw.strip():
                try:
                    lines.append(json.loads(raw))
                except json.JSONDecodeError as error:
                    raise AssertionError(f"not a JSON log line: {raw!r}") from error
        return lines
