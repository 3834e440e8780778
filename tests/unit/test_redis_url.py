"""redis+sentinel:// URLs."""

from __future__ import annotations

import pytest

from webapp.clients.redis_url import SentinelTarget, check_redis_url, parse_sentinel_url


def test_full_sentinel_url() -> None:
    """Sentinels, service name, db and credentials are all read."""
    target = parse_sentinel_url("redis+sentinel://app:p%40ss@h1:26379,[::1]:26380/mymaster/2")

    assert target == SentinelTarget(
        sentinels=(("h1", 26379), ("::1", 26380)),
        service_name="mymaster",
        db=2,
        username="app",
        password="p@ss",
    )


def test_minimal_sentinel_url() -> None:
    """Without credentials or db: db 0, no password."""
    target = parse_sentinel_url("redis+sentinel://h1:26379/mymaster")

    assert (target.db, target.password, target.sentinels) == (0, None, (("h1", 26379),))


def test_repr_hides_the_password() -> None:
    """The target's repr never shows the password."""
    assert "s3cret" not in repr(parse_sentinel_url("redis+sentinel://:s3cret@h:1/m"))


@pytest.mark.parametrize(
    "url",
    [
        "redis+sentinel://h1:26379",
        "redis+sentinel://h1/mymaster",
        "redis+sentinel://h1:99999/mymaster",
        "redis+sentinel://h1:1/mymaster/x",
        "redis+sentinel://h1:1/a/1/2",
        "redis+sentinel://:pw@/mymaster",
        "sentinel://h1:1/mymaster",
    ],
)
def test_malformed_urls_are_refused(url: str) -> None:
    """ValueError, whose message never quotes the URL."""
    with pytest.raises(ValueError, match=r"scheme|sentinel|service_name|database") as caught:
        check_redis_url(url)

    assert url not in str(caught.value)


@pytest.mark.parametrize("url", ["redis://h:1/0", "rediss://h:1/0", "unix:///tmp/r.sock"])
def test_plain_urls_pass_through(url: str) -> None:
    """redis://, rediss:// and unix:// are left to redis-py."""
    assert check_redis_url(url) == url
