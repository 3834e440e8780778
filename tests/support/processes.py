"""Start and stop real processes for tests: free ports, process groups, bounded waits."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_answers(port: int, timeout_s: float = 0.2) -> bool:
    """True when a TCP connect to 127.0.0.1:port succeeds."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout_s):
            return True
    except OSError:
        return False


def start_group(
    args: list[str], *, log_path: Path, env: dict[str, str], cwd: Path
) -> subprocess.Popen:
    """Start `args` as the leader of a new process group, output to `log_path`."""
    log_file = log_path.open("ab")
    try:
        return subprocess.Popen(
            args,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
    finally:
        log_file.close()


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
