"""A TCP proxy on loopback that tests steer: hold all traffic, lose one reply, or point new
connections at another server.

Sits between a service and its redis-server, so a test can make one process's Redis slower to
come back than another's, make a reply vanish after Redis executed the command (as a socket
timeout or a reset connection does in production), or move a service to a promoted replica
(as a failover does behind a virtual IP).
"""

from __future__ import annotations

import contextlib
import socket
import threading

from tests.support.processes import free_port

CHUNK = 65536


class TcpProxy:
    """127.0.0.1:<port> -> 127.0.0.1:<target_port>, one pair of threads per connection."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._open = threading.Event()
        self._open.set()
        self._lock = threading.Lock()
        self._drop_marker: bytes | None = None
        self._drop_request_marker: bytes | None = None
        self._reset_on_drop = True
        self.dropped = threading.Event()
        self._sockets: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._stopped = threading.Event()
        threading.Thread(target=self._accept_loop, name="tcp-proxy", daemon=True).start()

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def hold(self) -> None:
        """Forward nothing (either way) until release(); bytes wait in the sockets."""
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def drop_reply_containing(self, marker: bytes, *, reset: bool = True) -> None:
        """Lose the first reply that contains `marker`, then reset that connection (or, with
        reset=False, keep it open: the client waits for the reply until its socket times out)."""
        with self._lock:
            self._drop_marker = marker
            self._reset_on_drop = reset
            self.dropped.clear()

    def drop_reply_to(self, marker: bytes) -> None:
        """Lose the reply to the first request that contains `marker` (the request reaches the
        server and runs), then reset that connection."""
        with self._lock:
            self._drop_request_marker = marker
            self.dropped.clear()

    def retarget(self, target_port: int) -> None:
        """Send new connections to `target_port`; open ones stay where they are."""
        self.target_port = target_port

    def close(self) -> None:
        self._stopped.set()
        self._open.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        for sock in list(self._sockets):
            with contextlib.suppress(OSError):
                sock.close()

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            self._sockets += [client, server]
            lose_next_reply = threading.Event()  # this connection's next reply is to be lost
            for source, sink, replies in ((client, server, False), (server, client, True)):
                threading.Thread(
                    target=self._pump,
                    args=(source, sink, replies, lose_next_reply),
                    daemon=True,
                ).start()

    def _pump(
        self,
        source: socket.socket,
        sink: socket.socket,
        replies: bool,
        lose_next_reply: threading.Event,
    ) -> None:
        try:
            while not self._stopped.is_set():
                data = source.recv(CHUNK)
                if not data:
                    break
                self._open.wait()
                # A marker split across two reads is missed: replies here are small.
                if replies and lose_next_reply.is_set():
                    self.dropped.set()
                    break
                if replies and self._should_drop(data):
                    if self._reset_on_drop:
                        break
                    continue
                if not replies and self._is_marked_request(data):
                    lose_next_reply.set()  # before the request goes on: its reply comes later
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()

    def _is_marked_request(self, data: bytes) -> bool:
        with self._lock:
            if self._drop_request_marker is None or self._drop_request_marker not in data:
                return False
            self._drop_request_marker = None
            return True

    def _should_drop(self, data: bytes) -> bool:
        with self._lock:
            if self._drop_marker is None or self._drop_marker not in data:
                return False
            self._drop_marker = None
            self.dropped.set()
            return True
