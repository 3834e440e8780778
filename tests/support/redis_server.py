"""A private redis-server in a temp dir, for tests that kill, restart or persist Redis."""

from bench.harness import RedisServer

__all__ = ["RedisServer"]
