"""Service settings: one typed object, read once from the environment.

Defaults live on the dataclass fields below and in the README's table, nowhere else.
`Settings.from_env(environ)` takes the mapping as an argument so tests pass a dict.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from webapp.clients.redis_url import check_redis_url
from webapp.extensions import Key
from webapp.redaction import redact


class ConfigError(ValueError):
    """A setting from the environment is invalid; the message names the variable."""


def _env(name: str, default: Any, parse: Callable[[str], Any] | None = None) -> Any:
    """Declare a field read from environment variable `name`."""
    return field(default=default, metadata={"env": name, "parse": parse})


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError
    return value


def _non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError
    return value


def _positive_float(raw: str) -> float:
    value = float(raw)
    if not value > 0 or value != value or value == float("inf"):
        raise ValueError
    return value


def _non_negative_float(raw: str) -> float:
    value = float(raw)
    if not value >= 0 or value == float("inf"):
        raise ValueError
    return value


def _nice_increment(raw: str) -> int:
    value = int(raw)
    if not 0 <= value <= 19:
        raise ValueError
    return value


def _bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError


def _log_level(raw: str) -> str:
    level = raw.strip().upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ValueError
    return level


def _min_replicas(raw: str) -> int | None:
    """'auto' (None: 1 when the primary reports replicas, else 0) or a count."""
    if raw.strip().lower() == "auto":
        return None
    return _non_negative_int(raw)


def _optional_positive_float(raw: str) -> float | None:
    """Empty: no bound; otherwise a positive number."""
    return None if not raw.strip() else _positive_float(raw)


def _optional_positive_int(raw: str) -> int | None:
    """Empty: the default (e.g. the CPU count); otherwise a positive integer."""
    return None if not raw.strip() else _positive_int(raw)


def _key_prefix(raw: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,32}", raw):
        raise ValueError
    return raw


def _neo4j_uri(raw: str) -> str:
    if raw and not re.match(r"^(bolt|neo4j)(\+s|\+ssc)?://", raw):
        raise ValueError
    return raw


def _header_name(raw: str) -> str:
    if raw and not re.fullmatch(r"[A-Za-z0-9-]{1,64}", raw):
        raise ValueError
    return raw


def _auth_mode(raw: str) -> str:
    value = raw.strip().lower()
    if value not in {"none", "api_key", "header"}:
        raise ValueError
    return value


def _networks(raw: str) -> tuple[str, ...]:
    """Comma-separated IP addresses or networks (CIDR), checked here, kept as text."""
    import ipaddress

    items = tuple(item.strip() for item in raw.split(",") if item.strip())
    for item in items:
        ipaddress.ip_network(item, strict=False)
    return items


def _log_format(raw: str) -> str:
    value = raw.strip().lower()
    if value not in {"auto", "json", "console"}:
        raise ValueError
    return value


_EXPECTED = {
    _positive_int: "a positive integer",
    _non_negative_int: "a non-negative integer",
    _positive_float: "a positive number",
    _non_negative_float: "a non-negative number",
    _nice_increment: "an integer from 0 to 19",
    _bool: "a boolean (true/false/1/0)",
    _log_level: "one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
    check_redis_url: "a redis://, rediss://, unix:// or "
    "redis+sentinel://[:password@]host:port,.../service_name[/db] URL",
    _min_replicas: "auto or a non-negative integer",
    _optional_positive_float: "empty or a positive number",
    _optional_positive_int: "empty or a positive integer",
    _key_prefix: "1-32 characters of [A-Za-z0-9_.:-]",
    _neo4j_uri: "empty or a bolt://, neo4j:// (+s/+ssc) URI",
    _header_name: "empty or an HTTP header name",
    _log_format: "one of auto, json, console",
    _auth_mode: "one of none, api_key, header",
    _networks: "comma-separated IP addresses or networks (CIDR)",
}


@dataclass(frozen=True)
class Settings:
    """Every knob of the service; see the README for what each one does."""

    # Redis: job state and queue
    redis_url: str = _env("REDIS_URL", "redis://127.0.0.1:6379/0", check_redis_url)
    redis_key_prefix: str = _env("REDIS_KEY_PREFIX", "dfs", _key_prefix)
    redis_max_connections: int = _env("REDIS_MAX_CONNECTIONS", 50, _positive_int)
    redis_socket_timeout_s: float = _env("REDIS_SOCKET_TIMEOUT", 5.0, _positive_float)
    redis_connect_timeout_s: float = _env("REDIS_CONNECT_TIMEOUT", 5.0, _positive_float)
    redis_health_check_interval_s: int = _env("REDIS_HEALTH_CHECK_INTERVAL", 30, _non_negative_int)
    redis_retries: int = _env("REDIS_RETRIES", 2, _non_negative_int)
    # Replicas that must confirm (WAIT) a new job before its 202; None = auto: 1 when the
    # primary reports connected replicas, else 0.
    redis_min_replicas: int | None = _env("REDIS_MIN_REPLICAS", None, _min_replicas)
    # How long a submit waits for those confirmations before answering 503 (milliseconds).
    redis_wait_timeout_ms: int = _env("REDIS_WAIT_TIMEOUT_MS", 500, _positive_int)

    # Jobs
    job_ttl_seconds: int = _env("JOB_TTL_SECONDS", 604800, _positive_int)
    tombstone_ttl_seconds: int = _env("TOMBSTONE_TTL_SECONDS", 2592000, _positive_int)
    job_workers: int = _env("JOB_WORKERS", 2, _positive_int)
    job_thread_nice: int = _env("JOB_THREAD_NICE", 10, _nice_increment)
    gc_freeze: bool = _env("GC_FREEZE", True, _bool)
    job_lease_seconds: float = _env("JOB_LEASE_SECONDS", 30.0, _positive_float)
    recovery_scan_seconds: float = _env("RECOVERY_SCAN_SECONDS", 10.0, _positive_float)
    max_attempts: int = _env("MAX_ATTEMPTS", 3, _positive_int)
    result_write_retry_seconds: float = _env("RESULT_WRITE_RETRY_SECONDS", 300.0, _positive_float)
    drain_timeout_seconds: float = _env("DRAIN_TIMEOUT_SECONDS", 90.0, _positive_float)
    # Hard limits of one attempt's compute process: past either it is stopped and the job fails
    # (timed_out, out_of_memory), without a retry
    job_timeout_seconds: float = _env("JOB_TIMEOUT_SECONDS", 600.0, _positive_float)
    job_memory_limit_mb: int = _env("JOB_MEMORY_LIMIT_MB", 2048, _positive_int)
    drain_flag_file: str = _env("DRAIN_FLAG_FILE", "var/run/draining")

    # HTTP
    max_content_length: int = _env("MAX_CONTENT_LENGTH", 2 * 1024 * 1024, _positive_int)

    # Neo4j: slates
    neo4j_uri: str = _env("NEO4J_URI", "", _neo4j_uri)
    neo4j_user: str = _env("NEO4J_USER", "neo4j")
    neo4j_password: str = field(
        default="", repr=False, metadata={"env": "NEO4J_PASSWORD", "parse": None}
    )
    neo4j_database: str = _env("NEO4J_DATABASE", "")

    # Readiness
    ready_check_timeout_s: float = _env("READY_CHECK_TIMEOUT", 3.0, _positive_float)
    ready_cache_seconds: float = _env("READY_CACHE_SECONDS", 1.0, _non_negative_float)

    # Logging
    log_level: str = _env("LOG_LEVEL", "INFO", _log_level)
    log_file: str = _env("LOG_FILE", "var/log/webapp.log")
    log_max_bytes: int = _env("LOG_MAX_BYTES", 10 * 1024 * 1024, _positive_int)
    log_backup_count: int = _env("LOG_BACKUP_COUNT", 5, _non_negative_int)
    access_log: bool = _env("ACCESS_LOG", True, _bool)
    access_log_probes: bool = _env("ACCESS_LOG_PROBES", False, _bool)
    user_id_header: str = _env("USER_ID_HEADER", "", _header_name)

    # Tenants: who may call the API. none: anyone (local development; a warning at start);
    # api_key: `Authorization: Bearer <key>` made by `flask keys create`; header: a gateway
    # sets USER_ID_HEADER, trusted only from TRUSTED_PROXIES.
    auth_mode: str = _env("AUTH_MODE", "none", _auth_mode)
    trusted_proxies: tuple[str, ...] = _env("TRUSTED_PROXIES", ("127.0.0.1", "::1"), _networks)
    # Limits of a tenant whose key sets none (and of every tenant in header mode): queued jobs,
    # running jobs, and submits per second (a token bucket holding `tenant_rate_burst`)
    tenant_max_pending: int = _env("TENANT_MAX_PENDING", 100, _positive_int)
    tenant_max_running: int = _env("TENANT_MAX_RUNNING", 4, _positive_int)
    tenant_rate_per_s: float = _env("TENANT_RATE_PER_SECOND", 5.0, _positive_float)
    tenant_rate_burst: int = _env("TENANT_RATE_BURST", 20, _positive_int)
    # Empty: /metrics is open. Otherwise it asks for `Authorization: Bearer <METRICS_TOKEN>`.
    metrics_token: str = field(
        default="", repr=False, metadata={"env": "METRICS_TOKEN", "parse": None}
    )

    # Identity of this deployment, shown by the health endpoints
    release_id: str = _env("RELEASE_ID", "")
    service_id: str = _env("SERVICE_ID", "")

    # Long-polling status reads (GET /optimize/<run_id>?wait=N): requests of one process that
    # may block at once; beyond it a read answers at once
    status_wait_max_waiters: int = _env("STATUS_WAIT_MAX_WAITERS", 4, _positive_int)

    # Slates uploaded over HTTP are kept in Redis this long when Neo4j is not configured
    slate_ttl_seconds: int = _env("SLATE_TTL_SECONDS", 604800, _positive_int)

    # Optimizer: a time budget per job (empty: 90% of JOB_TIMEOUT_SECONDS; when it runs out
    # the lineups found so far are the result, with a warning) and the threads that build
    # simulation candidates (empty: the CPU count)
    optimizer_time_budget_seconds: float | None = _env(
        "OPTIMIZER_TIME_BUDGET_SECONDS", None, _optional_positive_float
    )
    optimizer_threads: int | None = _env("OPTIMIZER_THREADS", None, _optional_positive_int)

    testing: bool = False

    # Operators: log rendering, metrics, dashboard
    # auto: console (structlog's ConsoleRenderer) when stdout is a terminal, JSON otherwise.
    log_format: str = _env("LOG_FORMAT", "auto", _log_format)
    metrics_enabled: bool = _env("METRICS_ENABLED", True, _bool)
    # Empty: /admin/ is off (404). Otherwise HTTP Basic auth, user `admin`, this password.
    admin_password: str = field(
        default="", repr=False, metadata={"env": "ADMIN_PASSWORD", "parse": None}
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read every setting from `environ` (default os.environ); ConfigError on a bad value."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            name = f.metadata.get("env")
            if name is None or name not in environ:
                continue
            values[f.name] = _parse(name, environ[name], f.metadata.get("parse"))
        return cls(**values)

    @property
    def optimizer_budget_s(self) -> float:
        """The optimizer's soft budget: OPTIMIZER_TIME_BUDGET_SECONDS, never past 90% of the
        hard JOB_TIMEOUT_SECONDS, so a job that runs out of time returns what it found."""
        soft_cap = 0.9 * self.job_timeout_seconds
        budget = self.optimizer_time_budget_seconds
        return soft_cap if budget is None else min(budget, soft_cap)

    def flask_config(self) -> dict[str, Any]:
        """The subset Flask itself reads."""
        return {"MAX_CONTENT_LENGTH": self.max_content_length, "TESTING": self.testing}


def _parse(name: str, raw: str, parse: Callable[[str], Any] | None) -> Any:
    if parse is None:
        return raw
    try:
        return parse(raw)
    except (ValueError, TypeError):
        shown = redact(raw)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        raise ConfigError(f"{name} must be {_EXPECTED[parse]}, got {shown!r}") from None


SETTINGS: Key[Settings] = Key("webapp.settings", "webapp.create_app")


def get_settings(app: Any) -> Settings:
    """The Settings an app was built with."""
    return SETTINGS.lookup(app)
