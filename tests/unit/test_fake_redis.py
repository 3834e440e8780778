"""The fakeredis connection the app tests use behaves like a socket where the app relies on it."""

from __future__ import annotations

import time

import fakeredis
import pytest
import redis

from tests.support.fake_redis import BoundedFakeConnection, fake_connection_kwargs


def _client(**pool_kwargs: object) -> redis.Redis:
    pool = redis.BlockingConnectionPool(
        **{**fake_connection_kwargs(fakeredis.FakeServer()), **pool_kwargs}
    )
    return redis.Redis(connection_pool=pool)


def test_connections_survive_the_handshake_and_a_reconnect() -> None:
    """Commands, a dropped connection and a new one all work with the app's pool options (the
    handshake redis-py 8.2 pipelines used to leave a fake connection out of step)."""
    client = _client(socket_timeout=1, db=1)

    assert client.set("k", "v")
    client.connection_pool.disconnect()

    assert client.get("k") == b"v"
    assert client.ping()


def test_a_reply_that_never_comes_times_out_like_a_socket() -> None:
    """A read with nothing to read raises TimeoutError after socket_timeout, not never."""
    connection = BoundedFakeConnection(server=fakeredis.FakeServer(), socket_timeout=0.2)
    connection.connect()

    started = time.monotonic()
    with pytest.raises(redis.TimeoutError):
        connection.read_response()

    assert time.monotonic() - started < 2
