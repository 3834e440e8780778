"""Process helpers for tests; most live in bench.harness, shared with the benchmarks."""

import os
import socket
from pathlib import Path

from bench.harness import free_port, kill_group, signal_group, start_group, stop_group

__all__ = [
    "compute_children",
    "cpu_seconds",
    "descendants",
    "free_port",
    "kill_group",
    "port_answers",
    "process_name",
    "signal_group",
    "start_group",
    "stop_group",
]


def port_answers(port: int, timeout_s: float = 0.2) -> bool:
    """True when a TCP connect to 127.0.0.1:port succeeds."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout_s):
            return True
    except OSError:
        return False


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (Linux /proc): children, their children, ..."""
    found: list[int] = []
    stack = [pid]
    while stack:
        for task in Path(f"/proc/{stack.pop()}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:  # the process ended meanwhile
                continue
            found.extend(children)
            stack.extend(children)
    return found


def process_name(pid: int) -> str:
    """/proc/<pid>/comm ('' once the process is gone)."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def compute_children(pid: int) -> list[int]:
    """The job compute processes below `pid` (named by webapp.compute.child)."""
    return [p for p in descendants(pid) if process_name(p) == "webapp-compute"]


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time of the live processes among `pids` (Linux /proc)."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")
