"""Real processes for the benchmarks and the tests: free ports, process groups, bounded waits.

Every process leads its own process group (so stopping it reaches gunicorn's workers and RQ's
work horses too), writes its output to a log file, and every wait has a deadline.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import redis
import requests

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_group(
    args: list[str], *, log_path: Path, env: dict[str, str], cwd: Path
) -> subprocess.Popen:
    """Start `args` as the leader of a new process group, output to `log_path`."""
    with log_path.open("ab") as log_file:
        return subprocess.Popen(
            args,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )


def signal_group(process: subprocess.Popen, sig: int) -> None:
    """Send `sig` to the whole process group; ignore a group that is already gone."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def stop_group(process: subprocess.Popen, timeout_s: float = 10.0) -> None:
    """SIGTERM the group, SIGKILL it after `timeout_s`, reap the leader."""
    if process.poll() is None:
        signal_group(process, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=timeout_s)
    kill_group(process)


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL the whole group (children included) and reap the leader."""
    signal_group(process, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.02)


def wait_until(
    predicate: Callable[[], T],
    timeout_s: float,
    interval_s: float = 0.02,
    message: str | Callable[[], str] = "",
) -> T:
    """Poll `predicate` until it returns something truthy; fail after `timeout_s` with `message`
    (a callable is called then, e.g. to show a log as it is at that moment)."""
    deadline = time.monotonic() + timeout_s
    last: T = predicate()
    while not last:
        if time.monotonic() >= deadline:
            shown = message() if callable(message) else message
            raise AssertionError(f"timed out after {timeout_s} s: {shown or predicate}")
        time.sleep(interval_s)
        last = predicate()
    return last


def child_env(extra: dict[str, str]) -> dict[str, str]:
    """A small environment for a child process that imports this repository."""
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "LC_ALL"}}
    return {**keep, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", **extra}


class RedisServer:
    """One redis-server on a free port; `stop`/`kill`/`start` keep the port and data dir."""

    def __init__(
        self, directory: Path, *, appendonly: bool = True, extra_args: tuple[str, ...] = ()
    ) -> None:
        self.directory = directory
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
            binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
            "--save", "", "--appendonly", "yes" if self.appendonly else "no",
            "--appendfsync", "everysec", "--daemonize", "no", *self.extra_args,
        ]  # fmt: skip
        self.process = start_group(args, log_path=self.log_path, env={}, cwd=self.directory)
        wait_until(self._pings, timeout_s, message=lambda: f"no PING:\n{self.log_path.read_text()}")
        return self

    def _pings(self) -> bool:
        with contextlib.suppress(redis.RedisError), self.client() as client:
            return client.ping()
        return False

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

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=5)


class GunicornServer:
    """`gunicorn -c <config> <app>` on 127.0.0.1:<free port>; the service's config by default,
    none (gunicorn's defaults plus `args`) for other apps."""

    def __init__(
        self,
        directory: Path,
        env: dict[str, str],
        *,
        app: str = "webapp:create_app()",
        workers: int = 1,
        name: str = "gunicorn",
        ready_event: str | None = "job_runner_started",
        config: Path | None = ROOT / "gunicorn.conf.py",
        args: tuple[str, ...] = (),
    ) -> None:
        self.directory = directory
        self.port = free_port()
        self.app = app
        self.workers = workers
        self.ready_event = ready_event
        self.config = config
        self.args = args
        self.log_path = directory / f"{name}.log"
        own = {
            "WEB_CONCURRENCY": str(workers),
            "LOG_FILE": "",
            "DRAIN_FLAG_FILE": str(directory / f"{name}.drain"),
        }
        self.env = child_env({**own, **env})
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 20.0) -> GunicornServer:
        """Start and wait until /health answers and (with a ready event) every worker logged it."""
        config = ["-c", str(self.config)] if self.config else []
        args = [sys.executable, "-m", "gunicorn", *config, *self.args]
        args += ["--bind", f"127.0.0.1:{self.port}", self.app]
        self.process = start_group(args, log_path=self.log_path, env=self.env, cwd=ROOT)
        deadline = time.monotonic() + timeout_s
        wait_until(self._answers, timeout_s, 0.05, lambda: f"no /health:\n{self.log_text()}")
        if self.ready_event:
            self.wait_for_log(
                self.ready_event, count=self.workers, timeout_s=deadline - time.monotonic()
            )
        return self

    def _answers(self) -> bool:
        """True once /health answers 200; fails at once when the master has exited."""
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"gunicorn exited early:\n{self.log_text()}")
        with contextlib.suppress(requests.RequestException):
            return requests.get(self.url + "/health", timeout=1).status_code == 200
        return False

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_for_log(self, event: str, *, count: int = 1, timeout_s: float = 10.0) -> list[dict]:
        """Wait until `count` JSON lines with this event were logged."""

        def found() -> list[dict]:
            matching = []
            for raw in self.log_text().splitlines():
                with contextlib.suppress(ValueError):  # a line still being written
                    parsed = json.loads(raw) if raw.startswith("{") else {}
                    if parsed.get("event") == event:
                        matching.append(parsed)
            return matching if len(matching) >= count else []

        tail = lambda: f"no {count}x {event!r} in log:\n{self.log_text()[-4000:]}"  # noqa: E731
        return wait_until(found, max(timeout_s, 0.1), 0.05, tail)

    def signal(self, sig: int) -> None:
        """Send `sig` to the master only (as docker stop / kubelet do)."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, sig)

    def terminate(self) -> None:
        self.signal(signal.SIGTERM)

    def wait_exit(self, timeout_s: float) -> int:
        """Wait for the master to exit; returns its exit code."""
        assert self.process is not None
        return self.process.wait(timeout=timeout_s)

    def kill_all(self) -> None:
        """kill -9 the master and every worker."""
        if self.process is not None:
            kill_group(self.process)

    def stop(self) -> None:
        """Make sure nothing of this server is left running."""
        if self.process is not None:
            if self.process.poll() is None:
                self.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(timeout=15)
            kill_group(self.process)
            self.process = None
