"""Factory fixtures for real processes: private redis-servers and gunicorn instances."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from tests.support.gunicorn_server import GunicornServer
from tests.support.redis_server import RedisServer


@pytest.fixture
def start_redis_server(tmp_path: Path) -> Iterator[Callable[..., RedisServer]]:
    """Start private redis-servers (AOF on by default); all are stopped afterwards."""
    started: list[RedisServer] = []

    def start(*, appendonly: bool = True, extra_args: tuple[str, ...] = ()) -> RedisServer:
        directory = tmp_path / f"redis{len(started)}"
        directory.mkdir()
        server = RedisServer(directory, appendonly=appendonly, extra_args=extra_args).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.kill()


@pytest.fixture
def start_gunicorn(tmp_path: Path) -> Iterator[Callable[..., GunicornServer]]:
    """Start gunicorn instances running the scripted app; all are stopped afterwards."""
    started: list[GunicornServer] = []

    def start(env: dict[str, str], *, workers: int = 1, wait: bool = True) -> GunicornServer:
        server = GunicornServer(tmp_path, env, workers=workers, name=f"gunicorn{len(started)}")
        started.append(server)
        return server.start() if wait else server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def service_env(settings, real_redis: redis.Redis) -> dict[str, str]:
    """Environment for a gunicorn instance on the shared Redis under this test's prefix."""
    from tests.conftest import SHARED_REDIS_URL

    return {
        "REDIS_URL": SHARED_REDIS_URL,
        "REDIS_KEY_PREFIX": settings.redis_key_prefix,
        "TEST_COUNTER_REDIS_URL": SHARED_REDIS_URL,
        "JOB_LEASE_SECONDS": "3",
        "RECOVERY_SCAN_SECONDS": "1",
    }
