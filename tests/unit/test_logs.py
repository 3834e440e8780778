"""JSON log rendering and the shared rotating file."""

from __future__ import annotations

import json
import logging
import multiprocessing
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import structlog

from webapp.config import Settings
from webapp.observability.log_files import SharedRotatingFileHandler
from webapp.observability.logs import QueuedLines, configure_logging


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    """Logging configured to a file in tmp_path; handlers removed afterwards."""
    path = tmp_path / "logs" / "service.log"
    configure_logging(Settings(log_file=str(path), testing=True))
    yield path
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, QueuedLines):
            root.removeHandler(handler)
            handler.close()
    structlog.reset_defaults()


def _raw_lines(path: Path) -> list[str]:
    for handler in logging.getLogger().handlers:
        handler.flush()  # lines are written by the logging thread
    return path.read_text().splitlines()


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in _raw_lines(path)]


def test_structlog_line_has_the_standard_fields(log_file: Path) -> None:
    """An event renders as one JSON object with timestamp, level, event, logger and context."""
    structlog.contextvars.bind_contextvars(request_id="req-1")
    structlog.get_logger("webapp.test").info("something_happened", count=3)

    (line,) = _lines(log_file)
    assert line["event"] == "something_happened" and line["count"] == 3
    assert line["level"] == "info" and line["logger"] == "webapp.test"
    assert line["request_id"] == "req-1" and line["timestamp"].endswith("Z")


def test_stdlib_loggers_render_the_same_way(log_file: Path) -> None:
    """Lines from libraries using the standard logging module are JSON too."""
    logging.getLogger("werkzeug").warning("library said %s", "hello")

    (line,) = _lines(log_file)
    assert line["event"] == "library said hello" and line["level"] == "warning"
    assert line["logger"] == "werkzeug"


def test_exception_is_one_line_with_type_message_and_stack(log_file: Path) -> None:
    """A logged exception is a single JSON line with its type, message and frames."""
    try:
        raise ValueError("bad value 42")
    except ValueError:
        structlog.get_logger("webapp.test").exception("it_failed")

    (line,) = _lines(log_file)
    (exception,) = line["exception"]
    assert exception["exc_type"] == "ValueError" and exception["exc_value"] == "bad value 42"
    assert exception["frames"] and exception["frames"][-1]["name"].startswith("test_")
    assert all("locals" not in frame for frame in exception["frames"])


def test_level_filters_lines(tmp_path: Path) -> None:
    """LOG_LEVEL=WARNING drops info lines."""
    path = tmp_path / "w.log"
    configure_logging(Settings(log_file=str(path), log_level="WARNING", testing=True))
    try:
        structlog.get_logger("t").info("quiet")
        structlog.get_logger("t").warning("loud")
    finally:
        configure_logging(replace(Settings(testing=True), log_file=""))
        structlog.reset_defaults()

    assert [line["event"] for line in _lines(path)] == ["loud"]


def test_configuring_twice_does_not_duplicate_lines(log_file: Path) -> None:
    """configure_logging replaces its handlers instead of stacking them."""
    configure_logging(Settings(log_file=str(log_file), testing=True))

    structlog.get_logger("t").info("once")

    assert len(_lines(log_file)) == 1


def test_file_rotates_at_the_configured_size(tmp_path: Path) -> None:
    """Past max_bytes the file is rotated, keeping backup_count old files, none over the size."""
    path = tmp_path / "r.log"
    handler = SharedRotatingFileHandler(path, max_bytes=2000, backup_count=3)
    logger = logging.getLogger("rotation-test")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        for i in range(200):
            logger.warning("line %03d %s", i, "x" * 40)
    finally:
        logger.removeHandler(handler)
        handler.close()

    files = sorted(tmp_path.glob("r.log*"))
    names = {f.name for f in files}
    assert {"r.log", "r.log.1", "r.log.2", "r.log.3"} <= names and "r.log.4" not in names
    longest_line = max(len(line) + 1 for f in files for line in f.read_text().splitlines())
    assert all(
        f.stat().st_size <= 2000 + longest_line for f in files if not f.name.endswith(".lock")
    )


def _write_lines(path: str, writer: int, count: int) -> None:
    handler = SharedRotatingFileHandler(path, max_bytes=4000, backup_count=200)
    logger = logging.getLogger(f"writer-{writer}")
    logger.addHandler(handler)
    logger.propagate = False
    for i in range(count):
        logger.warning("%d:%d %s", writer, i, "y" * 30)
    handler.close()


def test_several_processes_share_one_rotating_file(tmp_path: Path) -> None:
    """Three processes writing and rotating one file lose no line and never cascade rotations."""
    path = tmp_path / "shared.log"
    context = multiprocessing.get_context("fork")
    writers = [context.Process(target=_write_lines, args=(str(path), w, 300)) for w in range(3)]
    for process in writers:
        process.start()
    for process in writers:
        process.join(timeout=30)

    lines = [
        line
        for f in tmp_path.glob("shared.log*")
        if not f.name.endswith(".lock")
        for line in f.read_text().splitlines()
    ]
    assert all(p.exitcode == 0 for p in writers)
    assert sorted(lines) == sorted(f"{w}:{i} {'y' * 30}" for w in range(3) for i in range(300))


def test_many_threads_lose_nothing_and_keep_their_own_order(log_file: Path) -> None:
    """Lines logged by eight threads at once all reach the file, each thread's in its order."""
    per_thread = 500

    def log_from(name: str) -> None:
        log = structlog.get_logger("t")
        for i in range(per_thread):
            log.info("counted", thread=name, i=i)

    threads = [threading.Thread(target=log_from, args=(f"t{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    lines = _lines(log_file)
    assert len(lines) == 8 * per_thread
    for n in range(8):
        assert [line["i"] for line in lines if line["thread"] == f"t{n}"] == list(range(per_thread))


EXITING = """
import logging, sys, structlog
from webapp.config import Settings
from webapp.observability.logs import configure_logging
configure_logging(Settings(log_file=sys.argv[1], log_format="json"))
for i in range(2000):
    structlog.get_logger("t").info("before_exit", i=i)
logging.getLogger("werkzeug").warning("last")
"""


def test_no_line_is_lost_at_exit(tmp_path: Path) -> None:
    """A process that logs and exits at once still writes every line to stdout and the file."""
    path = tmp_path / "exit.log"

    done = subprocess.run(
        [sys.executable, "-c", EXITING, str(path)], capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 0, done.stderr
    for text in (done.stdout, path.read_text()):
        events = [json.loads(line)["event"] for line in text.splitlines()]
        assert events == ["before_exit"] * 2000 + ["last"]


def test_console_format_renders_every_line_for_a_human(tmp_path: Path) -> None:
    """LOG_FORMAT=console renders structlog's and libraries' lines with ConsoleRenderer."""
    path = tmp_path / "c.log"
    configure_logging(Settings(log_file=str(path), log_format="console", testing=True))
    try:
        structlog.get_logger("webapp.access").info("request_finished", status=202)
        logging.getLogger("werkzeug").warning("library said %s", "hello")
        lines = _raw_lines(path)
    finally:
        configure_logging(replace(Settings(testing=True), log_file=""))
        structlog.reset_defaults()

    assert "request_finished" in lines[0] and "status" in lines[0] and "{" not in lines[0]
    assert "library said hello" in lines[1] and "{" not in lines[1]
