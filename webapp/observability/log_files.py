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
        self._inode: tuple[int, int] | None = None

    def shouldRollover(self, record: logging.LogRecord) -> bool:
        """Reopen if another process rotated our file away; then check the size on disk.

        Unlike the standard handler, the record is not rendered here just to measure it (that
        doubled the cost of every line): a file is rotated once it reaches max_bytes, so it
        can exceed the limit by at most one line.
        """
        try:
            on_disk = os.stat(self.baseFilename)
        except FileNotFoundError:
            self._reopen()
            return False
        if (on_disk.st_dev, on_disk.st_ino) != self._held_inode():
            self._reopen()
            return False
        return 0 < self.maxBytes <= on_disk.st_size

    def doRollover(self) -> None:
        """Rotate under an exclusive lock, unless another process just did."""
        with open(self._lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                if self._file_was_moved():
                    self._reopen()  # another process rotated between our check and the lock
                elif self._size_on_disk() >= self.maxBytes:
                    super().doRollover()
                    self._inode = None
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _size_on_disk(self) -> int:
        try:
            return os.stat(self.baseFilename).st_size
        except FileNotFoundError:
            return 0

    def _held_inode(self) -> tuple[int, int]:
        """(device, inode) of the file this process writes to, looked up once per open."""
        if self.stream is None:
            self.stream = self._open()
        if self._inode is None:
            held = os.fstat(self.stream.fileno())
            self._inode = (held.st_dev, held.st_ino)
        return self._inode

    def _file_was_moved(self) -> bool:
        try:
            on_disk = os.stat(self.baseFilename)
        except FileNotFoundError:
            return True
        return (on_disk.st_dev, on_disk.st_ino) != self._held_inode()

    def _reopen(self) -> None:
        if self.stream is not None:
            self.stream.close()
        self.stream = self._open()
        self._inode = None
