"""Process helpers for tests; they live in bench.harness, shared with the benchmarks."""

from bench.harness import free_port, kill_group, port_answers, signal_group, start_group, stop_group

__all__ = ["free_port", "kill_group", "port_answers", "signal_group", "start_group", "stop_group"]
