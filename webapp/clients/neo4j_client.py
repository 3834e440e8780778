"""The Neo4j driver as a Flask extension: one driver per process, built on first use, bounded waits.

The official driver waits long by default: `connection_timeout` bounds only the TCP connect,
while a silent server holds `verify_connectivity` for `connection_acquisition_timeout` (60 s);
a pooled connection to a server that went silent blocks until `liveness_check_timeout` is set;
and managed transactions are retried for `max_transaction_retry_time` (30 s). All four are set
from one timeout here, so readiness checks and slate loads give up within about that time.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import neo4j
from flask import Flask
from neo4j.exceptions import DriverError, Neo4jError

from webapp.config import Settings
from webapp.extensions import Key
from webapp.jobs.errors import TransientJobError
from webapp.redaction import redact, redact_secret

# How long managed transactions are retried, and the connections of one process's driver.
MAX_TRANSACTION_RETRY_S = 1.0
MAX_POOL_SIZE = 10


class Neo4jUnavailableError(TransientJobError):
    """Neo4j could not be reached or did not answer in time; a job that meets it is retried
    later. The message (no password, but the server's address) is for logs and operators."""

    public_message = "the slate store (Neo4j) could not be reached"


@dataclass(frozen=True)
class Neo4jPing:
    """What a connectivity check learned."""

    latency_ms: float
    agent: str
    protocol: str
    address: str


class Neo4jClient:
    """Per-app holder of this process's driver."""

    def __init__(self, settings: Settings) -> None:
        """Reads the neo4j_* settings; ready_check_timeout_s bounds every wait."""
        self.settings = settings
        self._lock = threading.Lock()
        self._driver: neo4j.Driver | None = None
        self._pid: int | None = None

    @property
    def is_configured(self) -> bool:
        """False when no URI is set: the service then runs without Neo4j."""
        return bool(self.settings.neo4j_uri)

    @property
    def redacted_uri(self) -> str:
        return redact(self.settings.neo4j_uri)

    def driver(self) -> neo4j.Driver:
        """This process's driver (created on first use, after any fork)."""
        pid = os.getpid()
        if self._pid != pid or self._driver is None:
            with self._lock:
                if self._pid != pid or self._driver is None:
                    self._driver = self._make_driver()
                    self._pid = pid
        return self._driver

    def _make_driver(self) -> neo4j.Driver:
        settings = self.settings
        auth = (settings.neo4j_user, settings.neo4j_password) if settings.neo4j_password else None
        timeout_s = settings.ready_check_timeout_s
        return neo4j.GraphDatabase.driver(
            settings.neo4j_uri,
            auth=auth,
            connection_timeout=timeout_s,
            connection_acquisition_timeout=timeout_s,
            liveness_check_timeout=timeout_s,
            max_transaction_retry_time=MAX_TRANSACTION_RETRY_S,
            max_connection_pool_size=MAX_POOL_SIZE,
            keep_alive=True,
        )

    def ping(self) -> Neo4jPing:
        """Check connectivity within the timeout; Neo4jUnavailableError otherwise."""
        started = time.perf_counter()
        try:
            info = self.driver().get_server_info()
        except (DriverError, Neo4jError, OSError) as error:
            raise Neo4jUnavailableError(self._describe(error)) from None
        latency = round((time.perf_counter() - started) * 1000, 2)
        protocol = ".".join(str(part) for part in info.protocol_version)
        return Neo4jPing(latency, info.agent, protocol, str(info.address))

    def query(self, cypher: str, parameters: dict[str, Any]) -> list[dict[str, Any]]:
        """Run one read query and return its records as dicts (bounded retries)."""
        kwargs: dict[str, Any] = {"routing_": neo4j.RoutingControl.READ}
        if self.settings.neo4j_database:
            kwargs["database_"] = self.settings.neo4j_database
        try:
            records, _, _ = self.driver().execute_query(cypher, parameters, **kwargs)
        except (DriverError, Neo4jError, OSError) as error:
            raise Neo4jUnavailableError(self._describe(error)) from None
        return [record.data() for record in records]

    def write(self, cypher: str, parameters: dict[str, Any]) -> None:
        """Run one write query in a transaction (bounded retries)."""
        kwargs: dict[str, Any] = {"routing_": neo4j.RoutingControl.WRITE}
        if self.settings.neo4j_database:
            kwargs["database_"] = self.settings.neo4j_database
        try:
            self.driver().execute_query(cypher, parameters, **kwargs)
        except (DriverError, Neo4jError, OSError) as error:
            raise Neo4jUnavailableError(self._describe(error)) from None

    def close(self) -> None:
        """Close this process's driver (safe to call twice)."""
        with self._lock:
            if self._driver is not None and self._pid == os.getpid():
                self._driver.close()
            self._driver = None
            self._pid = None

    def _describe(self, error: Exception) -> str:
        text = redact_secret(str(error) or type(error).__name__, self.settings.neo4j_password)
        return f"{self.redacted_uri}: {type(error).__name__}: {text}"


NEO4J: Key[Neo4jClient] = Key("webapp.neo4j", "webapp.clients.neo4j_client.init_app")


def init_app(app: Flask, settings: Settings) -> Neo4jClient:
    """Register the Neo4j client on `app`; refuses a second registration."""
    return NEO4J.register(app, Neo4jClient(settings))


def get_neo4j(app: Flask) -> Neo4jClient:
    """The app's Neo4j client."""
    return NEO4J.lookup(app)
