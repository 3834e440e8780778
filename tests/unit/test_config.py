"""Settings from the environment."""

from __future__ import annotations

import pytest

from webapp.config import ConfigError, Settings


def test_defaults_match_the_documented_ones() -> None:
    """With an empty environment every documented default applies."""
    settings = Settings.from_env({})

    assert settings.job_ttl_seconds == 604800
    assert settings.redis_max_connections == 50
    assert settings.redis_socket_timeout_s == 5.0
    assert settings.redis_health_check_interval_s == 30
    assert settings.drain_timeout_seconds == 90.0
    assert settings.max_attempts == 3
    assert settings.ready_check_timeout_s == 3.0
    assert settings.log_level == "INFO"


def test_values_are_parsed_to_their_types() -> None:
    """Numbers, booleans and strings are converted."""
    settings = Settings.from_env(
        {
            "JOB_TTL_SECONDS": "60",
            "JOB_WORKERS": "4",
            "ACCESS_LOG_PROBES": "true",
            "LOG_LEVEL": "debug",
        }
    )

    assert (settings.job_ttl_seconds, settings.job_workers) == (60, 4)
    assert settings.access_log_probes is True
    assert settings.log_level == "DEBUG"


BAD = [
    ("JOB_TTL_SECONDS", "abc", "a positive integer"),
    ("JOB_TTL_SECONDS", "0", "a positive integer"),
    ("JOB_WORKERS", "-1", "a positive integer"),
    ("JOB_THREAD_NICE", "20", "an integer from 0 to 19"),
    ("MAX_CONTENT_LENGTH", "1.5", "a positive integer"),
    ("REDIS_URL", "http://x", "redis://"),
    ("REDIS_SOCKET_TIMEOUT", "nan", "a positive number"),
    ("READY_CACHE_SECONDS", "-1", "a non-negative number"),
    ("ACCESS_LOG_PROBES", "maybe", "a boolean"),
    ("LOG_LEVEL", "LOUD", "one of DEBUG"),
    ("NEO4J_URI", "http://neo4j", "bolt://"),
    ("REDIS_KEY_PREFIX", "has space", "characters"),
    ("REDIS_URL", "redis+sentinel://h1:1/", "redis+sentinel://"),
    ("REDIS_URL", "redis+sentinel://h1/mymaster", "redis+sentinel://"),
    ("REDIS_MIN_REPLICAS", "some", "auto or a non-negative integer"),
    ("REDIS_WAIT_TIMEOUT_MS", "0", "a positive integer"),
]


@pytest.mark.parametrize(("name", "raw", "expected"), BAD, ids=[f"{n}={r}" for n, r, _ in BAD])
def test_bad_value_names_the_variable(name: str, raw: str, expected: str) -> None:
    """An invalid value fails with one message naming the variable and the value."""
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({name: raw})

    message = str(caught.value)
    assert message.startswith(name) and expected in message and repr(raw) in message


def test_password_is_not_in_repr() -> None:
    """The Neo4j password never shows in a repr of the settings."""
    settings = Settings.from_env({"NEO4J_PASSWORD": "s3cret-pw"})

    assert "s3cret-pw" not in repr(settings)
    assert settings.neo4j_password == "s3cret-pw"


SECRET_URLS = [
    "reddis://:pw-Secret1@host/0",
    "reddis://user:pw-Secret1@host/0",
    "http://127.0.0.1:6379/0?password=pw-Secret1",
    "redis+sentinel://:pw-Secret1@h1:1,h2/mymaster/0",
    "redis+sentinel://:pw-Secret1@h1:1,h2:2/",
]


@pytest.mark.parametrize("raw", SECRET_URLS)
def test_a_bad_redis_url_is_shown_without_its_password(raw: str) -> None:
    """A malformed REDIS_URL fails naming the variable, with its password masked."""
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"REDIS_URL": raw})

    assert str(caught.value).startswith("REDIS_URL")
    assert "pw-Secret1" not in str(caught.value) and "***" in str(caught.value)


def test_replica_settings() -> None:
    """REDIS_MIN_REPLICAS is auto (None) by default or a count; the WAIT timeout defaults to 500."""
    assert Settings.from_env({}).redis_min_replicas is None
    assert Settings.from_env({}).redis_wait_timeout_ms == 500
    assert Settings.from_env({"REDIS_MIN_REPLICAS": "AUTO"}).redis_min_replicas is None
    assert Settings.from_env({"REDIS_MIN_REPLICAS": "2"}).redis_min_replicas == 2


def test_optimizer_budget_and_threads_are_optional() -> None:
    """Empty means no time budget and the CPU count; values must be positive."""
    assert Settings.from_env({}).optimizer_time_budget_seconds is None
    settings = Settings.from_env({"OPTIMIZER_TIME_BUDGET_SECONDS": "20", "OPTIMIZER_THREADS": "2"})
    assert (settings.optimizer_time_budget_seconds, settings.optimizer_threads) == (20.0, 2)
    with pytest.raises(ConfigError, match="OPTIMIZER_THREADS must be empty or a positive"):
        Settings.from_env({"OPTIMIZER_THREADS": "0"})
