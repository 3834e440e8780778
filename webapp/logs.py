"""Logging: structlog and the standard library render the same JSON lines to stdout and a file.

Called once per process from the app factory (gunicorn builds the app in each worker after the
fork). Calling it again replaces the handlers instead of stacking them.
"""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path
from typing import Any

import structlog
import structlog.tracebacks

from webapp.config import Settings
from webapp.log_files import SharedRotatingFileHandler

# Marks the handlers this module installs, so a second call can find and replace them.
_HANDLER_TAG = "_webapp_handler"


def shared_processors() -> list[Any]:
    """Processors applied to structlog and standard-library records alike."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
        structlog.stdlib.ExtraAdder(),
    ]


class RenderOnceFormatter(structlog.stdlib.ProcessorFormatter):
    """ProcessorFormatter that renders a record once, however many handlers write it."""

    def format(self, record: logging.LogRecord) -> str:
        rendered = record.__dict__.get("_webapp_rendered")
        if rendered is None:
            rendered = super().format(record)
            record.__dict__["_webapp_rendered"] = rendered
        return rendered


def json_formatter() -> structlog.stdlib.ProcessorFormatter:
    """A formatter that renders any record as one JSON object on one line."""
    return RenderOnceFormatter(
        foreign_pre_chain=shared_processors(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            # Frames without their local variables: locals may hold secrets.
            structlog.processors.ExceptionRenderer(
                structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
            ),
            structlog.processors.JSONRenderer(sort_keys=False),
        ],
    )


def build_handlers(settings: Settings) -> list[logging.Handler]:
    """stdout, plus a size-rotated file unless LOG_FILE is empty."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stdout)]
    if settings.log_file:
        path = Path(settings.log_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(
            SharedRotatingFileHandler(
                path, max_bytes=settings.log_max_bytes, backup_count=settings.log_backup_count
            )
        )
    formatter = json_formatter()
    for handler in handlers:
        handler.setFormatter(formatter)
        setattr(handler, _HANDLER_TAG, True)
    return handlers


def configure_logging(settings: Settings) -> None:
    """Route structlog and stdlib logging through the same JSON rendering."""
    structlog.configure(
        processors=[
            *shared_processors(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Tests reconfigure structlog to capture events; cached loggers would ignore that.
        cache_logger_on_first_use=not settings.testing,
    )
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _HANDLER_TAG, False)]:
        root.removeHandler(handler)
        handler.close()
    for handler in build_handlers(settings):
        root.addHandler(handler)
    root.setLevel(settings.log_level)
    # Python warnings and uncaught thread exceptions become JSON lines too.
    logging.captureWarnings(True)
    threading.excepthook = _log_thread_exception


def _log_thread_exception(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    structlog.get_logger("webapp.threads").error(
        "thread_crashed",
        thread=args.thread.name if args.thread else None,
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )
