"""A protocol-level Bolt peer for tests: enough of Neo4j's wire protocol for the official driver.

It answers the handshake with Bolt 5.4, then HELLO, LOGON, TELEMETRY, BEGIN, RUN, PULL, DISCARD,
COMMIT, ROLLBACK, RESET and GOODBYE. Queries are answered by a handler the test supplies, and
every RUN (query and parameters) and the authentication received are recorded for assertions.
Also: a listener that accepts and never answers, and a port nothing listens on.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

AGENT = "Neo4j/5.26.0"
MAGIC = b"\x60\x60\xb0\x17"

# Message tags
HELLO, GOODBYE, RESET, RUN, BEGIN, COMMIT, ROLLBACK = 0x01, 0x02, 0x0F, 0x10, 0x11, 0x12, 0x13
DISCARD, PULL, TELEMETRY, LOGON, LOGOFF, ROUTE = 0x2F, 0x3F, 0x54, 0x6A, 0x6B, 0x66
SUCCESS, RECORD, IGNORED, FAILURE = 0x70, 0x71, 0x7E, 0x7F


@dataclass
class Answer:
    """What a query returns: field names and rows, or a Neo4j failure."""

    fields: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    failure: tuple[str, str] | None = None  # (code, message)


Handler = Callable[[str, dict[str, Any]], Answer]


# ---------------------------------------------------------------- PackStream
def pack(value: Any) -> bytes:
    """Encode a value in PackStream v1."""
    if value is None:
        return b"\xc0"
    if value is True:
        return b"\xc3"
    if value is False:
        return b"\xc2"
    if isinstance(value, int):
        return _pack_int(value)
    if isinstance(value, float):
        return b"\xc1" + struct.pack(">d", value)
    if isinstance(value, str):
        data = value.encode()
        return _sized(len(data), 0x80, b"\xd0", b"\xd1", b"\xd2") + data
    if isinstance(value, list | tuple):
        return _sized(len(value), 0x90, b"\xd4", b"\xd5", b"\xd6") + b"".join(map(pack, value))
    if isinstance(value, dict):
        body = b"".join(pack(str(k)) + pack(v) for k, v in value.items())
        return _sized(len(value), 0xA0, b"\xd8", b"\xd9", b"\xda") + body
    raise TypeError(f"cannot pack {type(value).__name__}")


def _pack_int(value: int) -> bytes:
    if -16 <= value <= 127:
        return struct.pack(">b", value)
    for marker, fmt in ((b"\xc8", ">b"), (b"\xc9", ">h"), (b"\xca", ">i"), (b"\xcb", ">q")):
        try:
            return marker + struct.pack(fmt, value)
        except struct.error:
            continue
    raise OverflowError(value)


def _sized(size: int, tiny: int, m8: bytes, m16: bytes, m32: bytes) -> bytes:
    if size < 16:
        return bytes([tiny | size])
    if size < 0x100:
        return m8 + struct.pack(">B", size)
    if size < 0x10000:
        return m16 + struct.pack(">H", size)
    return m32 + struct.pack(">I", size)


class Unpacker:
    """Decode PackStream values from a buffer."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def _take(self, n: int) -> bytes:
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def _size(self, marker: int, tiny_base: int, big: dict[int, str]) -> int:
        if tiny_base <= marker < tiny_base + 16:
            return marker - tiny_base
        fmt = big[marker]
        return struct.unpack(fmt, self._take(struct.calcsize(fmt)))[0]

    def value(self) -> Any:
        marker = self._take(1)[0]
        if marker < 0x80:
            return marker
        if marker >= 0xF0:
            return marker - 0x100
        if marker == 0xC0:
            return None
        if marker in (0xC2, 0xC3):
            return marker == 0xC3
        if marker == 0xC1:
            return struct.unpack(">d", self._take(8))[0]
        ints = {0xC8: ">b", 0xC9: ">h", 0xCA: ">i", 0xCB: ">q"}
        if marker in ints:
            fmt = ints[marker]
            return struct.unpack(fmt, self._take(struct.calcsize(fmt)))[0]
        if 0x80 <= marker < 0x90 or marker in (0xD0, 0xD1, 0xD2):
            size = self._size(marker, 0x80, {0xD0: ">B", 0xD1: ">H", 0xD2: ">I"})
            return self._take(size).decode()
        if 0x90 <= marker < 0xA0 or marker in (0xD4, 0xD5, 0xD6):
            size = self._size(marker, 0x90, {0xD4: ">B", 0xD5: ">H", 0xD6: ">I"})
            return [self.value() for _ in range(size)]
        if 0xA0 <= marker < 0xB0 or marker in (0xD8, 0xD9, 0xDA):
            size = self._size(marker, 0xA0, {0xD8: ">B", 0xD9: ">H", 0xDA: ">I"})
            return {self.value(): self.value() for _ in range(size)}
        if 0xB0 <= marker < 0xC0:
            tag = self._take(1)[0]
            return ("struct", tag, [self.value() for _ in range(marker - 0xB0)])
        if marker in (0xCC, 0xCD, 0xCE):
            fmt = {0xCC: ">B", 0xCD: ">H", 0xCE: ">I"}[marker]
            return self._take(struct.unpack(fmt, self._take(struct.calcsize(fmt)))[0])
        raise ValueError(f"unknown PackStream marker 0x{marker:02X}")


# ---------------------------------------------------------------- the peer
class BoltPeer:
    """A Bolt server on 127.0.0.1:<free port> in a background thread (context manager)."""

    def __init__(self, handler: Handler | None = None, *, password: str | None = None) -> None:
        self.handler = handler or (lambda query, params: Answer(["1"], [[1]]))
        self.password = password
        self.runs: list[tuple[str, dict[str, Any]]] = []
        self.auth: list[dict[str, Any]] = []
        self._server = socket.socket()
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(16)
        self._server.settimeout(0.2)
        self.port = self._server.getsockname()[1]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._connections: list[socket.socket] = []
        self._accepter = threading.Thread(target=self._accept_loop, name="bolt-peer", daemon=True)

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.port}"

    def __enter__(self) -> BoltPeer:
        self._accepter.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Close every socket and join the threads (bounded)."""
        self._stop.set()
        self._accepter.join(timeout=2)
        for conn in self._connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
        for thread in self._threads:
            thread.join(timeout=2)
        self._server.close()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            # Without TCP_NODELAY, Nagle plus delayed ACKs stall every exchange by ~40 ms.
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.settimeout(0.5)
            self._connections.append(conn)
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _read_exact(self, conn: socket.socket, n: int) -> bytes:
        data = b""
        while len(data) < n:
            try:
                chunk = conn.recv(n - len(data))
            except TimeoutError:
                if self._stop.is_set():
                    raise ConnectionError("stopping") from None
                continue
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    def _read_message(self, conn: socket.socket) -> tuple[int, list[Any]]:
        body = b""
        while True:
            (size,) = struct.unpack(">H", self._read_exact(conn, 2))
            if size == 0:
                if body:
                    break
                continue  # a NOOP chunk
            body += self._read_exact(conn, size)
        _, tag, fields = Unpacker(body).value()
        return tag, fields

    @staticmethod
    def _send(conn: socket.socket, tag: int, *fields: Any) -> None:
        body = bytes([0xB0 | len(fields), tag]) + b"".join(pack(f) for f in fields)
        frames = b""
        for start in range(0, len(body), 0xFFFF):
            chunk = body[start : start + 0xFFFF]
            frames += struct.pack(">H", len(chunk)) + chunk
        conn.sendall(frames + b"\x00\x00")

    def _serve(self, conn: socket.socket) -> None:
        try:
            if self._read_exact(conn, 4) != MAGIC:
                return
            self._read_exact(conn, 16)
            conn.sendall(b"\x00\x00\x04\x05")  # Bolt 5.4
            self._session(conn)
        except (ConnectionError, OSError):
            return
        finally:
            conn.close()

    def _session(self, conn: socket.socket) -> None:
        state = {"failed": False, "pending": []}
        while not self._stop.is_set():
            tag, args = self._read_message(conn)
            if tag == GOODBYE:
                return
            if tag == RESET:
                state = {"failed": False, "pending": []}
                self._send(conn, SUCCESS, {})
            elif state["failed"]:
                self._send(conn, IGNORED)
            else:
                self._answer(conn, tag, args, state)

    def _answer(self, conn: socket.socket, tag: int, args: list[Any], state: dict) -> None:
        if tag == HELLO:
            self._send(conn, SUCCESS, {"server": AGENT, "connection_id": "bolt-1", "hints": {}})
        elif tag == LOGON:
            self.auth.append(args[0])
            if self.password is not None and args[0].get("credentials") != self.password:
                self._fail(conn, state, "Neo.ClientError.Security.Unauthorized", "unauthorized")
            else:
                self._send(conn, SUCCESS, {})
        elif tag == RUN:
            self.runs.append((args[0], args[1]))
            answer = self.handler(args[0], args[1])
            if answer.failure:
                self._fail(conn, state, *answer.failure)
            else:
                state["pending"] = list(answer.rows)
                self._send(conn, SUCCESS, {"fields": answer.fields, "t_first": 0, "qid": 0})
        elif tag in (PULL, DISCARD):
            rows, state["pending"] = state["pending"], []
            for row in rows if tag == PULL else []:
                self._send(conn, RECORD, row)
            self._send(conn, SUCCESS, {"has_more": False, "t_last": 0, "type": "r", "db": "neo4j"})
        elif tag == COMMIT:
            self._send(conn, SUCCESS, {"bookmark": "bm:1"})
        else:  # BEGIN, ROLLBACK, TELEMETRY, LOGOFF
            self._send(conn, SUCCESS, {})

    def _fail(self, conn: socket.socket, state: dict, code: str, message: str) -> None:
        state["failed"] = True
        self._send(conn, FAILURE, {"code": code, "message": message})


class SilentListener:
    """Accepts TCP connections and never sends a byte (context manager)."""

    def __init__(self) -> None:
        self._server = socket.socket()
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(64)
        self.port = self._server.getsockname()[1]
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._server.settimeout(0.2)
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
                self._held.append(conn)
            except TimeoutError:
                continue
            except OSError:
                return

    def __enter__(self) -> SilentListener:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for conn in self._held:
            conn.close()
        self._server.close()


def refused_uri() -> str:
    """A bolt:// URI on a port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"bolt://127.0.0.1:{port}"
