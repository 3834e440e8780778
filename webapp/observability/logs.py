"""Logging: structlog and the standard library render the same JSON lines to stdout and a file.

Called once per process from the app factory (gunicorn builds the app in each worker after the
fork). Calling it again replaces the handlers instead of stacking them.

The service's own events take a short path: structlog renders them and hands the line to the
process's LineWriter (log_writer.py), with no LogRecord, logger lookup or caller search on
the way; that is most of the cost of a line through `logging`. The access line, the one line
every request writes, goes shorter still (access_log.py renders it from the request with
orjson and writes it to the LineWriter configure_logging returns). Lines from libraries
(Flask, werkzeug, redis, neo4j, gunicorn) still go through `logging` and the same JSON
rendering, into the same LineWriter, so all keep one order.
"""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path
from typing import Any

import orjson
import structlog
import structlog.tracebacks

from webapp.config import Settings
from webapp.observability.log_files import SharedRotatingFileHandler
from webapp.observability.log_format import ConsoleLines, console_renderer, wants_console
from webapp.observability.log_writer import LineWriter, LineWriterHandler
from webapp.redaction import redact

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


def json_formatter(console: bool = False) -> structlog.stdlib.ProcessorFormatter:
    """A formatter that renders any record as one JSON object on one line (or, with
    `console`, as one ConsoleRenderer line)."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared_processors(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *_final_processors(console),
            _redact_line,
        ],
    )


def env_formatter() -> structlog.stdlib.ProcessorFormatter:
    """json_formatter as LOG_FORMAT asks, for gunicorn's master (it has no Settings)."""
    import os

    return json_formatter(wants_console(os.environ.get("LOG_FORMAT", "auto").strip().lower()))


def _final_processors(console: bool) -> list[Any]:
    """The renderer: JSON (exceptions as a dict of frames) or the console's own layout."""
    if console:
        return [console_renderer()]
    return [_exception_renderer(), structlog.processors.JSONRenderer(serializer=_dumps)]


def _dumps(value: Any, **_: Any) -> str:
    """orjson: several times faster than json for the one line every request writes."""
    return orjson.dumps(value, default=repr).decode()


def _redact_line(_logger: Any, _name: str, line: str) -> str:
    """Last step: no password (in a URL or a password= pair) reaches a log line, wherever in
    the event or its traceback it came from."""
    return redact(line)


def _exception_renderer() -> structlog.processors.ExceptionRenderer:
    # Frames without their local variables: locals may hold secrets.
    return structlog.processors.ExceptionRenderer(
        structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
    )


class WriterSink:
    """A structlog logger that hands rendered lines to the process's LineWriter."""

    def __init__(self, name: str, writer: LineWriter) -> None:
        self.name = name
        self._writer = writer

    def msg(self, message: str) -> None:
        """Queue one line."""
        self._writer.write(message)

    debug = info = warning = warn = error = critical = fatal = exception = msg


class WriterSinkFactory:
    """Makes a WriterSink per logger name, all writing through the same LineWriter."""

    def __init__(self, writer: LineWriter) -> None:
        self._writer = writer

    def __call__(self, *args: Any) -> WriterSink:
        name = str(args[0]) if args else "webapp"
        return WriterSink(name, self._writer)


def build_handlers(settings: Settings) -> list[logging.Handler]:
    """The streams lines go to: stdout, plus a size-rotated file unless LOG_FILE is empty."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stdout)]
    if settings.log_file:
        path = Path(settings.log_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(
            SharedRotatingFileHandler(
                path, max_bytes=settings.log_max_bytes, backup_count=settings.log_backup_count
            )
        )
    return handlers


def configure_logging(settings: Settings) -> LineWriter:
    """Route structlog and stdlib logging through the same JSON rendering; return the process's
    LineWriter, which the access log writes its rendered lines to."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _HANDLER_TAG, False)]:
        root.removeHandler(handler)
        handler.close()
    writer = LineWriter(build_handlers(settings), flush_interval_s=settings.log_flush_seconds)
    console = wants_console(settings.log_format)
    root_handler = LineWriterHandler(writer)
    root_handler.setFormatter(json_formatter(console))
    setattr(root_handler, _HANDLER_TAG, True)
    root.addHandler(root_handler)
    root.setLevel(settings.log_level)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
            *_final_processors(console),
            _redact_line,
        ],
        logger_factory=WriterSinkFactory(writer),
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelName(settings.log_level)
        ),
        # Tests reconfigure structlog to capture events; cached loggers would ignore that.
        cache_logger_on_first_use=not settings.testing,
    )
    # Python warnings and uncaught thread exceptions become JSON lines too.
    logging.captureWarnings(True)
    threading.excepthook = _log_thread_exception
    return writer


def access_line_sink(settings: Settings, writer: LineWriter) -> Any:
    """Where the access log's JSON lines go: the writer, re-rendered first for the console."""
    return ConsoleLines(writer) if wants_console(settings.log_format) else writer


def _log_thread_exception(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    structlog.get_logger("webapp.threads").error(
        "thread_crashed",
        thread=args.thread.name if args.thread else None,
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )
