"""Passwords never survive redact(), whatever text carries them."""

from __future__ import annotations

import pytest

from webapp.redaction import redact, redact_secret

CASES = [
    ("redis://:hunter2@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"),
    ("redis://user:hunter2@host/0", "redis://user:***@host/0"),
    ("rediss://default:pa@ss/w?rd@host:6380", "rediss://default:***@host:6380"),
    ("reddis://:hunter2@host/0", "reddis://:***@host/0"),
    ("redis://127.0.0.1:6379/0?password=hunter2", "redis://127.0.0.1:6379/0?password=***"),
    (
        "unix:///run/redis.sock?db=1&password=hunter2&x=1",
        "unix:///run/redis.sock?db=1&password=***&x=1",
    ),
    (
        "redis+sentinel://:hunter2@h1:1,h2:2/mymaster/0",
        "redis+sentinel://:***@h1:1,h2:2/mymaster/0",
    ),
    ("bolt://neo4j:hunter2@db:7687", "bolt://neo4j:***@db:7687"),
    (
        "Error connecting to redis://:hunter2@10.0.0.1:6379. refused",
        "Error connecting to redis://:***@10.0.0.1:6379. refused",
    ),
    ("redis://:it's-7@h:6379/0", "redis://:***@h:6379/0"),
    ("redis://o'neil:x'y@h:6379/0", "redis://o'neil:***@h:6379/0"),
    (
        "Error connecting to 'redis://:pa'ss@10.0.0.1:6379/0': refused",
        "Error connecting to 'redis://:***@10.0.0.1:6379/0': refused",
    ),
    ('{"url":"redis://:a\'b@h:1/0","by":"u@v"}', '{"url":"redis://:***@h:1/0","by":"u@v"}'),
    ("redis://h:1/0?password=it's&db=1", "redis://h:1/0?password=***&db=1"),
    ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
    ("redis://user@host:6379/0", "redis://user@host:6379/0"),
    ("no url here", "no url here"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_redact(text: str, expected: str) -> None:
    """Userinfo passwords and password= pairs are masked; everything else is kept."""
    assert redact(text) == expected


def test_redact_takes_exceptions() -> None:
    """An exception is redacted through its message."""
    error = ValueError("bad url rediss://:hunter2@h:1/0")

    assert redact(error) == "bad url rediss://:***@h:1/0"


def test_redact_secret_masks_a_known_password_anywhere() -> None:
    """A configured password is masked even where no URL syntax surrounds it."""
    assert redact_secret("auth failed for hunter2", "hunter2") == "auth failed for ***"
    assert redact_secret("nothing", "") == "nothing"
