"""The only polling loop of the tests (always bounded); it lives in bench.harness."""

from bench.harness import wait_until

__all__ = ["wait_until"]
