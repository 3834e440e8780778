"""Logging configuration for the gunicorn master and its own loggers: the service's JSON lines.

gunicorn applies `logconfig_dict` in the master before any worker exists; workers then add the
service's handlers in `configure_logging`. Both render through `webapp.logs.json_formatter`.
"""

from __future__ import annotations

from typing import Any


def logconfig_dict() -> dict[str, Any]:
    """A dictConfig that renders gunicorn's error log as JSON on stdout and mutes its access log."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "webapp.logs.json_formatter"}},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
            }
        },
        "loggers": {
            "gunicorn.error": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
            # The service writes its own access line (webapp.access_log), with request ids.
            "gunicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
        },
        "root": {"level": "INFO", "handlers": []},
    }
