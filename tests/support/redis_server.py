"""A private redis-server in a temp dir, for tests that kill, restart or persist Redis."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import redis

from tests.support.processes import free_port, kill_group, start_group, stop_group


class RedisServer:
    """One redis-server on a free port; `stop`/`kill`/`start` keep the port and data dir."""

    def __init__(
        self, directory: Path, *, appendonly: bool = True, extra_args: tuple[str, ...] = ()
    ) -> None:
        self.directory = directory
        self.extra_args = extra_args
        self.port = free_port()
        self.appendonly = appendonly
        self.extra_args = extra_args
        self.process: subprocess.Popen | None = None
        self.log_path = directory / "redis.log"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout_s: float = 10.0) -> RedisServer:
        """Start (or restart) the server and wait until it answers PING."""
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        args = [
            binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.directory),
            "--save",
            "",
            "--appendonly",
            "yes" if self.appendonly else "no",
            "--appendfsync",
            "everysec",
            "--daemonize",
            "no",
            *self.extra_args,
        ]
        self.process = start_group(args, log_path=self.log_path, env={}, cwd=self.directory)
        self.wait_ready(timeout_s)
        return self

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        client = redis.Redis(port=self.port, socket_timeout=0.5, socket_connect_timeout=0.5)
        try:
            while time.monotonic() < deadline:
                try:
                    if client.ping():
                        return
                except redis.RedisError:
                    time.sleep(0.02)
            raise AssertionError(f"redis-server did not start:\n{self.log_path.read_text()}")
        finally:
            client.close()

    def stop(self) -> None:
        """Stop cleanly (SIGTERM: Redis flushes its AOF)."""
        if self.process is not None:
            stop_group(self.process)
            self.process = None

    def kill(self) -> None:
        """Kill -9."""
        if self.process is not None:
            kill_group(self.process)
            self.process = None

    def pause(self) -> None:
        """SIGSTOP: the server keeps its connections but answers nothing (a frozen host)."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT after pause()."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=5)
