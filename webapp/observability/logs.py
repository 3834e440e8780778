"""Logging: structlog and the standard library render the same JSON lines to stdout and a file.

Called once per process from the app factory (gunicorn builds the app in each worker after the
fork); calling it again replaces the handler instead of stacking it. structlog hands its event
dicts to `logging` (structlog's standard-library integration); the root logger's QueueHandler
renders every line, the service's, a library's or gunicorn's, with one ProcessorFormatter in the
thread that logs it (where its context variables are) and queues it; a QueueListener thread
writes the queue to stdout and the rotating file, so no request waits on a write. The queue is
drained when the handler is flushed or closed: by logging's own exit handler, and by the
shutdown hooks before `os._exit`.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import queue
import sys
import threading
from pathlib import Path
from typing import Any

import orjson
import structlog
import structlog.tracebacks

from webapp.config import Settings
from webapp.observability.log_files import SharedRotatingFileHandler
from webapp.redaction import redact

# Processors every line goes through, structlog's own before it reaches `logging`, a library's
# in the formatter: context (request_id, job_id, user_id), level, logger name, time.
SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
]
# A library's record also brings its `extra=` fields (structlog's events carry theirs already).
FOREIGN_PROCESSORS: list[Any] = [*SHARED_PROCESSORS, structlog.stdlib.ExtraAdder()]


def wants_console(log_format: str) -> bool:
    """True when lines should be rendered for a human: LOG_FORMAT=console, or `auto` (the
    default) on a terminal, so `scripts/serve` in a shell is readable and a container gets JSON."""
    if log_format == "auto":
        return sys.stdout.isatty()
    return log_format == "console"


def json_formatter(console: bool = False) -> structlog.stdlib.ProcessorFormatter:
    """A formatter that renders any record as one JSON object on one line (or, with
    `console`, as one ConsoleRenderer line)."""
    # Frames without their local variables: locals may hold secrets.
    exceptions = structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
    renderer = (
        [structlog.dev.ConsoleRenderer(colors=sys.stdout.isatty())]
        if console
        else [
            structlog.processors.ExceptionRenderer(exceptions),
            structlog.processors.JSONRenderer(serializer=_dumps),
        ]
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=FOREIGN_PROCESSORS,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderer, _redact],
    )


def env_formatter() -> structlog.stdlib.ProcessorFormatter:
    """json_formatter as LOG_FORMAT asks, for gunicorn's master (it has no Settings)."""
    return json_formatter(wants_console(os.environ.get("LOG_FORMAT", "auto").strip().lower()))


def _dumps(value: Any, **_: Any) -> str:
    """orjson: several times faster than json for the one line every request writes."""
    return orjson.dumps(value, default=repr).decode()


def _redact(_logger: Any, _name: str, line: str) -> str:
    """Last step: no password (in a URL or a password= pair) reaches a log line, wherever in
    the event or its traceback it came from."""
    return redact(line)


class QueuedLines(logging.handlers.QueueHandler):
    """The root logger's handler: renders a record where it is logged and queues the line; its
    listener thread writes the lines to `handlers` in order."""

    # How long a flush waits for the listener (a stuck stream must not hold up an exit).
    FLUSH_TIMEOUT_S = 5.0

    def __init__(self, handlers: list[logging.Handler]) -> None:
        super().__init__(queue.Queue())
        self.listener = logging.handlers.QueueListener(self.queue, *handlers)
        self.listener.start()
        self._closed = False

    def flush(self) -> None:
        """Wait until the listener has written every line queued so far."""
        lines = self.queue
        with lines.all_tasks_done:  # the listener marks each line done once written
            if not self._closed:
                lines.all_tasks_done.wait_for(
                    lambda: not lines.unfinished_tasks, timeout=self.FLUSH_TIMEOUT_S
                )

    def close(self) -> None:
        """Write every queued line, stop the listener and close the streams."""
        with self.lock:  # logging's exit handler and a reconfiguration may both close
            if not self._closed:
                self._closed = True
                self.listener.stop()
                for handler in self.listener.handlers:
                    handler.close()
        super().close()


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


def configure_logging(settings: Settings) -> None:
    """Route structlog and stdlib logging through the same rendering, queue and streams."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, QueuedLines)]:
        root.removeHandler(handler)
        handler.close()
    handler = QueuedLines(build_handlers(settings))
    handler.setFormatter(json_formatter(wants_console(settings.log_format)))
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    structlog.configure(
        processors=[*SHARED_PROCESSORS, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelName(settings.log_level)
        ),
        # Tests reconfigure structlog to capture events; cached loggers would ignore that.
        cache_logger_on_first_use=not settings.testing,
    )
    logging.getLogger("werkzeug").addFilter(_not_werkzeug_access_line)
    # Python warnings and uncaught thread exceptions become JSON lines too.
    logging.captureWarnings(True)
    threading.excepthook = _log_thread_exception


def _not_werkzeug_access_line(record: logging.LogRecord) -> bool:
    """False for the access line of Flask's development server (`flask run`): the service
    writes its own (access_log.py), and a second one per request would only double it."""
    return not str(record.msg).endswith('] "%s" %s %s')


def _log_thread_exception(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    structlog.get_logger("webapp.threads").error(
        "thread_crashed",
        thread=args.thread.name if args.thread else None,
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )
