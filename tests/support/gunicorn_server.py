"""Real gunicorn processes for tests; by default the service with the scripted job kind."""

from __future__ import annotations

from typing import Any

from bench import harness
from bench.harness import ROOT

__all__ = ["ROOT", "GunicornServer"]

SCRIPTED_APP = "tests.support.apps:create_scripted_app()"


class GunicornServer(harness.GunicornServer):
    """The harness server; its app is the scripted one unless `app` names another."""

    def __init__(self, *args: Any, app: str = SCRIPTED_APP, **kwargs: Any) -> None:
        super().__init__(*args, app=app, **kwargs)
