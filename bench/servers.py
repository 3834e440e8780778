"""Start and stop the processes under test: gunicorn apps and a private redis-server.

Every process leads its own process group (start_new_session) so `stop()` reaches the gunicorn
workers too; every wait has a deadline; output goes to a log file, never to the terminal.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.processes import free_port, port_answers

ROOT = Path(__file__).resolve().parents[1]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

__all__ = ["free_port", "port_answers"]  # shared with the tests, re-exported for bench scripts


def http_status(port: int, path: str, timeout_s: float = 1.0) -> int | None:
    """Status code of one GET on 127.0.0.1:port, or None when nothing answers."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def _proc_stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name, or None for a process gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses; the fields start after the last ')'.
    return raw[raw.rindex(")") + 2 :].split()


def group_members(pgid: int) -> list[int]:
    """Pids of the live processes in process group `pgid`."""
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _proc_stat(int(entry))
            # fields[2] is pgrp (stat field 5); fields[0] is the state, Z for a zombie.
            if fields and int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(entry))
    return members


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU seconds of every live process in the group (reaped children included)."""
    total = 0
    for pid in group_members(pgid):
        fields = _proc_stat(pid)
        if fields:
            # utime, stime, cutime, cstime are stat fields 14-17 (indices 11-14 here).
            total += sum(int(value) for value in fields[11:15])
    return total / CLOCK_TICKS


def _start_group(
    args: list[str], log_path: Path, env: dict[str, str], cwd: Path
) -> subprocess.Popen:
    """Start `args` as the leader of a new process group with output to `log_path`."""
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


def _stop_group(process: subprocess.Popen, timeout_s: float) -> None:
    """SIGTERM the group, SIGKILL it after `timeout_s`, and reap the leader."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=timeout_s)
    # Workers can outlive their master; the group is killed whatever the master did.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)
    deadline = time.monotonic() + 5
    while group_members(process.pid) and time.monotonic() < deadline:
        time.sleep(0.02)


def _tail(path: Path, chars: int = 3000) -> str:
    """The end of a log file, for error messages."""
    return path.read_text(errors="replace")[-chars:] if path.exists() else ""


class StartError(RuntimeError):
    """A process under test exited or did not answer before its deadline."""


@dataclass
class ProcessHandle:
    """A started process group: its leader, port and log; `stop()` ends the whole group."""

    process: subprocess.Popen
    port: int
    log_path: Path
    stop_timeout_s: float = 10.0
    stopped: bool = field(default=False, init=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        """CPU seconds used so far by the processes of this group."""
        return group_cpu_seconds(self.process.pid)

    def log_tail(self) -> str:
        return _tail(self.log_path)

    def stop(self) -> None:
        """SIGTERM the group, then SIGKILL after the deadline; safe to call twice."""
        if not self.stopped:
            self.stopped = True
            _stop_group(self.process, self.stop_timeout_s)

    def __enter__(self) -> ProcessHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class RedisHandle(ProcessHandle):
    """A private redis-server."""

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


def _wait_ready(
    handle: ProcessHandle, ready: Callable[[], bool], timeout_s: float, what: str
) -> None:
    """Poll `ready()` until it holds; stop the group and raise on exit or deadline."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if handle.process.poll() is not None:
            handle.stop()
            raise StartError(
                f"{what} exited early (code {handle.process.returncode}):\n{handle.log_tail()}"
            )
        if ready():
            return
        time.sleep(0.05)
    handle.stop()
    raise StartError(f"{what} did not answer within {timeout_s:.0f} s:\n{handle.log_tail()}")


def start_redis(tmpdir: Path, *, timeout_s: float = 10.0) -> RedisHandle:
    """A private redis-server on a free port: loopback only, no persistence, dir = tmpdir."""
    tmpdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    args = [
        "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
        "--appendonly", "no", "--dir", str(tmpdir), "--daemonize", "no",
    ]  # fmt: skip
    process = _start_group(args, tmpdir / f"redis-{port}.log", {"PATH": os.environ["PATH"]}, tmpdir)
    handle = RedisHandle(process, port, tmpdir / f"redis-{port}.log", stop_timeout_s=5.0)
    _wait_ready(handle, lambda: _redis_pings(port), timeout_s, "redis-server")
    return handle


def _redis_pings(port: int) -> bool:
    """True when redis answers PING on the port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def gunicorn_args(
    app_spec: str,
    port: int,
    *,
    workers: int,
    threads: int,
    worker_class: str,
    keepalive: int | None,
    config_file: str | Path | None,
) -> list[str]:
    """The gunicorn command line; flags given here override the config file's values."""
    args = [sys.executable, "-m", "gunicorn"]
    if config_file:
        args += ["-c", str(config_file)]
    args += ["--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    args += ["--threads", str(threads), "--worker-class", worker_class]
    if keepalive is not None:
        args += ["--keep-alive", str(keepalive)]
    return [*args, app_spec]


def start_gunicorn(
    app_spec: str,
    port: int,
    env: dict[str, str],
    workers: int = 2,
    threads: int = 8,
    worker_class: str = "gthread",
    config_file: str | Path | None = None,
    *,
    keepalive: int | None = None,
    log_path: Path | None = None,
    ready_path: str = "/health",
    timeout_s: float = 30.0,
    stop_timeout_s: float = 15.0,
) -> ProcessHandle:
    """gunicorn serving `app_spec` on 127.0.0.1:port; returns once every worker is forked and
    `ready_path` answers below 500 (a worker may still be importing; callers warm up)."""
    log_path = log_path or Path(f"/tmp/gunicorn-{port}.log")
    full_env = {
        **{k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "LC_ALL"}},
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        "WEB_CONCURRENCY": str(workers),
        **env,
    }
    args = gunicorn_args(
        app_spec, port, workers=workers, threads=threads, worker_class=worker_class,
        keepalive=keepalive, config_file=config_file,
    )  # fmt: skip
    process = _start_group(args, log_path, full_env, ROOT)
    handle = ProcessHandle(process, port, log_path, stop_timeout_s=stop_timeout_s)

    def ready() -> bool:
        # The master plus `workers` children, and one of them answering HTTP.
        if len(group_members(process.pid)) < workers + 1:
            return False
        status = http_status(port, ready_path)
        return status is not None and status < 500

    _wait_ready(handle, ready, timeout_s, f"gunicorn {app_spec}")
    return handle


def machine_busy_cpu_seconds() -> float:
    """CPU seconds all cores of this machine spent busy since boot (from /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return (sum(values[:8]) - idle) / CLOCK_TICKS
