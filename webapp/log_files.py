"""A size-rotated log file that several processes (gunicorn workers) can share safely.

The standard RotatingFileHandler assumes one writer: with several, each process rotates on its
own view of the file, so rotations cascade and lines land in renamed files. Here a rollover
happens under an exclusive lock on a sibling lock file, is skipped if another process already
rotated, and every process reopens the path when it notices the file it holds was renamed.
"""

from __future__ import annotations

import fcntl
import logging
import logging.handlers
import os
from pathlib import Path


class SharedRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """RotatingFileHandler safe for several processes appending to one path."""

    def __init__(self, filename: str | Path, max_bytes: int, backup_count: int) -> None:
        super().__init__(
            filename, mode="a", maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8"
        )
        self._lock_path = f"{self.baseFilename}.lock"

    def shouldRollover(self, record: logging.LogRecord) -> bool:
        """Reopen if another process rotated our file away; then check the size on disk."""
        self._reopen_if_moved()
        if self.maxBytes <= 0:
            return False
        try:
            size = os.stat(self.baseFilename).st_size
        except FileNotFoundError:
            return False
        message = f"{self.format(record)}\n".encode()
        return size + len(message) > self.maxBytes

    def doRollover(self) -> None:
        """Rotate under an exclusive lock, unless another process just did."""
        with open(self._lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                if self._file_was_moved():
                    self._reopen()  # another process rotated between our check and the lock
                elif self._size_on_disk() >= self.maxBytes:
                    super().doRollover()
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _size_on_disk(self) -> int:
        try:
            return os.stat(self.baseFilename).st_size
        except FileNotFoundError:
            return 0

    def _file_was_moved(self) -> bool:
        if self.stream is None:
            return False
        try:
            on_disk = os.stat(self.baseFilename)
        except FileNotFoundError:
            return True
        held = os.fstat(self.stream.fileno())
        return (on_disk.st_dev, on_disk.st_ino) != (held.st_dev, held.st_ino)

    def _reopen_if_moved(self) -> None:
        if self._file_was_moved():
            self._reopen()

    def _reopen(self) -> None:
        if self.stream is not None:
            self.stream.close()
        self.stream = self._open()
