"""fakeredis behind the app's own Redis pools, with a real socket's limits.

Two differences from a real connection matter to the app's tests:

- fakeredis's `read_response` waits for a reply with no timeout, so a command whose reply never
  comes (a desynchronised connection, a blocking command) hangs the test until pytest's timeout and
  then its teardown too. Here a read gives up after the connection's `socket_timeout`, as a socket
  does, with redis-py's `TimeoutError`.
- fakeredis's `read_response` never moves `next_health_check` forward, so with a
  `health_check_interval` every command sends a PING first. redis-py 8.2 pipelines the connection
  handshake (CLIENT SETINFO and SELECT sent, then their replies read), so that PING reads the reply
  of an earlier handshake command, fails, and leaves the connection out of step: every later read
  on it waits for a reply that has already been consumed. An in-process server has no idle
  connection to check, so the health check is switched off for fake connections.
"""

from __future__ import annotations

from typing import Any

import fakeredis
import redis
from fakeredis._core import FakeSelector

# Used when a pool sets no socket_timeout: no fake reply takes this long.
DEFAULT_REPLY_TIMEOUT_S = 5.0


class BoundedFakeConnection(fakeredis.FakeRedisConnection):
    """A fakeredis connection whose reads time out like a socket's."""

    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        timeout = self.socket_timeout or DEFAULT_REPLY_TIMEOUT_S
        if self._sock is not None and not self._reply_within(timeout):
            self.disconnect()
            raise redis.TimeoutError(f"no reply from the fake server within {timeout} s")
        return super().read_response(*args, **kwargs)

    def _reply_within(self, timeout: float) -> bool:
        # redis-py 8 reconnects through connect_check_health(), which skips fakeredis's
        # connect() and so leaves the selector of the previous socket in place.
        if getattr(self._selector, "sock", None) is not self._sock:
            self._selector = FakeSelector(self._sock)
        return not self._server.connected or self._selector.check_can_read(timeout)


def fake_connection_kwargs(server: fakeredis.FakeServer) -> dict[str, object]:
    """Keyword arguments that put a pool's connections on `server`."""
    return {
        "connection_class": BoundedFakeConnection,
        "server": server,
        "health_check_interval": 0,
    }
