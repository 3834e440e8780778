"""Log lines leave the thread that logs them as a list append; one thread writes them out.

Under gunicorn's request threads, writing each line with its own write(2) cost more than
rendering it: the call gives up the GIL and the handler lock is held across it, so every line
meant a round of lock and GIL hand-offs between threads. Here a logging thread only appends the
rendered line to a list. A writer thread wakes every `flush_interval_s` (or at once when
`max_pending` lines wait) and writes the pending lines to each handler's stream, in order, in
chunks of whole lines of at most PIPE_BUF bytes: a container's stdout is a pipe, and only
writes up to PIPE_BUF are atomic there, so lines from several processes never interleave.

`flush()` writes what is pending at once; logging's own exit handler calls it (through the
handler's flush/close), as do the shutdown hooks before `os._exit`. A process killed with
SIGKILL loses at most the lines of the last interval. With `flush_interval_s = 0` every line is
written by the thread that logs it, as the standard library does.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Iterator

from webapp.observability.log_files import SharedRotatingFileHandler

PIPE_BUF = 4096


def chunks(lines: list[str], limit: int = PIPE_BUF) -> Iterator[str]:
    """The lines, newline-terminated, joined into chunks of at most `limit` bytes (a longer line
    is a chunk of its own)."""
    chunk: list[str] = []
    size = 0
    for line in lines:
        length = len(line.encode()) + 1
        if chunk and size + length > limit:
            yield "".join(chunk)
            chunk, size = [], 0
        chunk.append(line + "\n")
        size += length
    if chunk:
        yield "".join(chunk)


class LineWriter:
    """Writes rendered lines to logging handlers' streams, in batches from one thread."""

    def __init__(
        self,
        handlers: list[logging.Handler],
        *,
        flush_interval_s: float,
        max_pending: int = 1000,
    ) -> None:
        self.handlers = handlers
        self.flush_interval_s = flush_interval_s
        self.max_pending = max_pending
        self._pending: list[str] = []
        self._pending_lock = threading.Lock()
        self._io_lock = threading.Lock()  # one batch at a time, so batches keep their order
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._thread_pid = 0  # the process the writer thread runs in (a fork leaves it behind)

    def write(self, line: str) -> None:
        """Queue one rendered line (without its newline), or write it now if not batching."""
        if self.flush_interval_s <= 0 or self._stopping:
            with self._io_lock:
                self._write_out([line])
            return
        with self._pending_lock:
            self._pending.append(line)
            waiting = len(self._pending)
            if self._thread_pid != os.getpid() and not self._stopping:
                self._start()
        if waiting == self.max_pending:  # once per batch, not on every line past the limit
            self._wake.set()

    def flush(self) -> None:
        """Write every pending line now."""
        with self._io_lock:
            with self._pending_lock:
                lines, self._pending = self._pending, []
            if lines:
                self._write_out(lines)

    def close(self) -> None:
        """Write what is pending, stop the writer thread and close the handlers."""
        with self._pending_lock:
            self._stopping = True
            thread = self._thread
        self._wake.set()
        if thread is not None and thread.is_alive() and thread is not threading.current_thread():
            thread.join(timeout=5)
        self.flush()
        for handler in self.handlers:
            handler.close()

    def _start(self) -> None:
        # Called under _pending_lock, in the process that logs (after any fork).
        self._thread = threading.Thread(target=self._run, name="log-writer", daemon=True)
        self._thread_pid = os.getpid()
        self._thread.start()

    def _run(self) -> None:
        while not self._stopping:
            self._wake.wait(self.flush_interval_s)
            self._wake.clear()
            self.flush()

    def _write_out(self, lines: list[str]) -> None:
        for handler in self.handlers:
            handler.acquire()
            try:
                if isinstance(handler, SharedRotatingFileHandler) and handler.shouldRollover(None):  # type: ignore[arg-type]
                    handler.doRollover()
                stream = handler.stream  # type: ignore[attr-defined]
                for chunk in chunks(lines):
                    stream.write(chunk)
                    stream.flush()
            except (OSError, ValueError):
                sys.stderr.write("".join(line + "\n" for line in lines))  # keep the lines
            finally:
                handler.release()


class LineWriterHandler(logging.Handler):
    """The root logger's handler: renders a standard-library record and queues its line."""

    def __init__(self, writer: LineWriter) -> None:
        super().__init__()
        self.writer = writer

    def emit(self, record: logging.LogRecord) -> None:
        """Queue the rendered record."""
        try:
            self.writer.write(self.format(record))
        except Exception:  # logging's contract: report, never raise
            self.handleError(record)

    def flush(self) -> None:
        """Write every pending line now."""
        self.writer.flush()

    def close(self) -> None:
        """Write what is pending and release the streams."""
        self.writer.close()
        super().close()
