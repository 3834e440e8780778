"""Process helpers for tests; most live in bench.harness, shared with the benchmarks."""

import socket

from bench.harness import free_port, kill_group, signal_group, start_group, stop_group

__all__ = ["free_port", "kill_group", "port_answers", "signal_group", "start_group", "stop_group"]


def port_answers(port: int, timeout_s: float = 0.2) -> bool:
    """True when a TCP connect to 127.0.0.1:port succeeds."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout_s):
            return True
    except OSError:
        return False
