"""A Redis Sentinel set on loopback for failover tests: one primary (AOF), one replica and three
sentinels, all from the same redis-server binary, on free ports in a temp dir."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import redis

from tests.support.processes import free_port, kill_group, port_answers, start_group
from tests.support.redis_server import RedisServer
from tests.support.waiting import wait_until

SERVICE = "mymaster"
# Sentinel timings: a primary silent for this long is down; a failover may take this long.
DOWN_AFTER_MS = 1000
FAILOVER_TIMEOUT_MS = 5000
# No 5 s pause before a replica's first full sync.
_FAST_SYNC = ("--repl-diskless-sync-delay", "0")
# A port can be taken between free_port() and the sentinel's bind.
_START_TRIES = 3


class SentinelSet:
    """Start with start(); `url` is the redis+sentinel:// URL the service uses."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.servers: list[RedisServer] = []
        self.sentinel_ports: list[int] = []
        self._sentinels: list[subprocess.Popen] = []

    @property
    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)
        return f"redis+sentinel://{hosts}/{SERVICE}/0"

    def start(self, timeout_s: float = 30.0) -> SentinelSet:
        """Primary, replica in sync, three sentinels that agree on both; bounded."""
        primary = self._server("primary", _FAST_SYNC)
        self._server("replica", (*_FAST_SYNC, "--replicaof", "127.0.0.1", str(primary.port)))
        wait_until(
            lambda: primary.client().info("replication").get("slave0", {}).get("state") == "online",
            timeout_s,
            message="the replica did not sync",
        )
        for index in range(3):
            self._start_sentinel(index, primary.port)
        wait_until(self._sentinels_agree, timeout_s, interval_s=0.1, message=self._describe)
        return self

    def primary_port(self) -> int:
        """The primary's port as the first sentinel that answers names it."""
        for port in self.sentinel_ports:
            try:
                _, primary_port = self._sentinel(port).sentinel_get_master_addr_by_name(SERVICE)
                return int(primary_port)
            except (redis.RedisError, TypeError):
                continue
        raise AssertionError("no sentinel answers")

    def server_on(self, port: int) -> RedisServer:
        return next(server for server in self.servers if server.port == port)

    def kill_primary(self) -> int:
        """kill -9 the current primary; returns its port."""
        port = self.primary_port()
        self.server_on(port).kill()
        return port

    def stop(self) -> None:
        for process in self._sentinels:
            kill_group(process)
        for server in self.servers:
            server.kill()

    def _server(self, name: str, extra_args: tuple[str, ...]) -> RedisServer:
        directory = self.directory / name
        directory.mkdir()
        server = RedisServer(directory, appendonly=True, extra_args=extra_args).start()
        self.servers.append(server)
        return server

    def _start_sentinel(self, index: int, primary_port: int) -> None:
        """One sentinel, listening; a port taken between free_port() and its bind gets another."""
        directory = self.directory / f"sentinel{index}"
        directory.mkdir()
        for _ in range(_START_TRIES):
            process, port = self._spawn_sentinel(directory, primary_port)
            if self._listens(process, port):
                self._sentinels.append(process)
                self.sentinel_ports.append(port)
                return
        raise AssertionError(f"sentinel {index} did not start: {self._log_tail(directory)}")

    @staticmethod
    def _listens(process: subprocess.Popen, port: int) -> bool:
        """True once the sentinel answers on `port`; False when it exited (the port was taken)."""
        wait_until(lambda: process.poll() is not None or port_answers(port), 10.0)
        return process.poll() is None

    def _spawn_sentinel(self, directory: Path, primary_port: int) -> tuple[subprocess.Popen, int]:
        port = free_port()
        config = directory / "sentinel.conf"  # sentinels rewrite their config: a file of its own
        config.write_text(
            f"port {port}\nbind 127.0.0.1\ndir {directory}\n"
            f"sentinel monitor {SERVICE} 127.0.0.1 {primary_port} 2\n"
            f"sentinel down-after-milliseconds {SERVICE} {DOWN_AFTER_MS}\n"
            f"sentinel failover-timeout {SERVICE} {FAILOVER_TIMEOUT_MS}\n"
            f"sentinel parallel-syncs {SERVICE} 1\n"
        )
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        process = start_group(
            [binary, str(config), "--sentinel"],
            log_path=directory / "sentinel.log",
            env={},
            cwd=directory,
        )
        return process, port

    @staticmethod
    def _log_tail(directory: Path, lines: int = 15) -> str:
        try:
            return "\n".join((directory / "sentinel.log").read_text().splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def _describe(self) -> str:
        """What each sentinel sees, and its log's end: why a start timed out."""
        parts = ["sentinels not ready"]
        for index, port in enumerate(self.sentinel_ports):
            try:
                state = self._sentinel(port).sentinel_master(SERVICE)
                seen = {k: state.get(k) for k in ("num-slaves", "num-other-sentinels", "flags")}
            except redis.RedisError as error:
                seen = {"error": repr(error)}
            parts.append(f"sentinel {index} on {port}: {seen}")
            parts.append(self._log_tail(self.directory / f"sentinel{index}"))
        return "\n".join(parts)

    def _sentinel(self, port: int) -> redis.Redis:
        return redis.Redis(port=port, socket_timeout=0.5, socket_connect_timeout=0.5)

    def _sentinels_agree(self) -> bool:
        """Every sentinel sees the primary, the replica and the two other sentinels."""
        for port in self.sentinel_ports:
            try:
                state = self._sentinel(port).sentinel_master(SERVICE)
            except redis.RedisError:
                return False
            if state.get("num-slaves") != 1 or state.get("num-other-sentinels") != 2:
                return False
        return True
