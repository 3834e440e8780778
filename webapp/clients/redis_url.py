"""REDIS_URL forms: redis://, rediss://, unix:// (redis-py parses those) and Sentinel.

`redis+sentinel://[[user]:password@]host1:port1,host2:port2,.../service_name[/db]` names the
sentinels to ask for the primary of `service_name`. The password (and user) are the Redis
servers'; the sentinels are asked without credentials. Parsing raises ValueError with a message
that never contains the URL, so callers can show it as is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

SENTINEL_SCHEME = "redis+sentinel://"
_PLAIN = re.compile(r"^(redis|rediss|unix)://")
_HOST_PORT = re.compile(r"^(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(?P<port>\d{1,5})$")
_SERVICE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True)
class SentinelTarget:
    """Where the sentinels are and which monitored primary (service) to use."""

    sentinels: tuple[tuple[str, int], ...]
    service_name: str
    db: int = 0
    username: str | None = None
    password: str | None = None

    def __repr__(self) -> str:
        return f"SentinelTarget(sentinels={self.sentinels!r}, service_name={self.service_name!r})"


def is_sentinel_url(url: str) -> bool:
    """True for a redis+sentinel:// URL."""
    return url.startswith(SENTINEL_SCHEME)


def check_redis_url(url: str) -> str:
    """`url` when it is a supported REDIS_URL; ValueError otherwise."""
    if is_sentinel_url(url):
        parse_sentinel_url(url)
    elif not _PLAIN.match(url):
        raise ValueError("unsupported scheme")
    return url


def parse_sentinel_url(url: str) -> SentinelTarget:
    """The parts of a redis+sentinel:// URL; ValueError naming what is wrong."""
    rest = url[len(SENTINEL_SCHEME) :]
    userinfo, _, rest = rest.rpartition("@")
    username = password = None
    if userinfo:
        user, _, secret = userinfo.partition(":")
        username, password = unquote(user) or None, unquote(secret) or None
    hosts, _, path = rest.partition("/")
    parts = path.split("/") if path else []
    if not 1 <= len(parts) <= 2 or not _SERVICE.match(parts[0]):
        raise ValueError("expected /service_name or /service_name/db after the sentinels")
    db = 0
    if len(parts) == 2 and parts[1]:
        if not parts[1].isdigit():
            raise ValueError("the database must be a number")
        db = int(parts[1])
    return SentinelTarget(
        sentinels=tuple(_host_port(item) for item in hosts.split(",")),
        service_name=parts[0],
        db=db,
        username=username,
        password=password,
    )


def _host_port(item: str) -> tuple[str, int]:
    match = _HOST_PORT.match(item)
    if not match or not 0 < int(match["port"]) < 65536:
        raise ValueError("each sentinel must be host:port")
    return match["host"].strip("[]"), int(match["port"])
