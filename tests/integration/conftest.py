"""Factory fixtures for real processes: private redis-servers and gunicorn instances."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import redis
from flask import Flask

from tests.conftest import SHARED_REDIS_URL, close_app
from tests.support.fault_summary import FaultReport
from tests.support.gunicorn_server import GunicornServer
from tests.support.kinds import scripted_kinds
from tests.support.redis_server import RedisServer
from tests.support.tcp_proxy import TcpProxy
from webapp import create_app
from webapp.config import Settings


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


@pytest.fixture
def make_proxy() -> Iterator[Callable[[int], TcpProxy]]:
    """Loopback TCP proxies to a port (request before the apps that use them: the proxies are
    closed after those apps stop)."""
    made: list[TcpProxy] = []

    def make(target_port: int) -> TcpProxy:
        made.append(TcpProxy(target_port))
        return made[-1]

    yield make
    for proxy in made:
        proxy.close()


@pytest.fixture
def fault_report(request: pytest.FixtureRequest) -> Iterator[FaultReport]:
    """Write this scenario's outcome for bench/fault_matrix.py at the end of the test (request
    it after the Redis fixtures, so it is written before they stop)."""
    report = FaultReport(request.node.name)
    yield report
    report.write()


@pytest.fixture
def make_service(settings: Settings, real_redis: redis.Redis) -> Iterator[Callable[..., Flask]]:
    """Build service apps (scripted jobs, their starts counted on the shared Redis); all are
    closed afterwards."""
    built: list[Flask] = []

    def build(**overrides: object) -> Flask:
        app = create_app(
            replace(settings, **overrides),  # type: ignore[arg-type]
            kinds=scripted_kinds(SHARED_REDIS_URL, settings.redis_key_prefix),
        )
        built.append(app)
        return app

    yield build
    for app in built:
        close_app(app)
