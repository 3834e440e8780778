"""A private redis-server in a temp dir, for tests that kill, freeze, restart or persist Redis."""

from __future__ import annotations

import os
import signal

from bench import harness

__all__ = ["RedisServer"]


class RedisServer(harness.RedisServer):
    """The harness's redis-server, which tests may also freeze and thaw."""

    def pause(self) -> None:
        """SIGSTOP: the server keeps its connections but answers nothing (a frozen host)."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT after pause()."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)
