"""Logging configuration for the gunicorn master and its own loggers: the service's JSON lines.

gunicorn applies `logconfig_dict` in the master before any worker exists; workers then add the
service's handlers in `configure_logging`. Both render through `logs.json_formatter`.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger


class ServiceLogger(Logger):
    """gunicorn's logger without its access line.

    The service writes its own access line per request (access_log.py), with the request
    id. gunicorn's is muted in `logconfig_dict`, but because a logconfig is set gunicorn still
    builds the atoms of its line for every request before the muted logger drops it; this
    logger tells gunicorn there is no access log, so that work is skipped.
    """

    access_log_enabled = False  # Logger.access returns at once when this is false


def logconfig_dict() -> dict[str, Any]:
    """A dictConfig that renders gunicorn's error log as JSON on stdout and mutes its access log."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "webapp.observability.logs.env_formatter"}},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
            }
        },
        "loggers": {
            "gunicorn.error": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
            # The service writes its own access line (access_log.py), with request ids.
            "gunicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
        },
        "root": {"level": "INFO", "handlers": []},
    }
