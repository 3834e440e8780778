"""scripts/ops: the Redis of scripts/serve, named, never guessed."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.processes import free_port
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def _ops(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}}
    return subprocess.run(
        [str(ROOT / "scripts" / "ops"), *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,  # anywhere: the script finds the project itself
        env={**base, "LOG_FILE": "", "LOG_FORMAT": "json", **env},
        timeout=60,
    )


def test_without_redis_url_or_local_redis_it_refuses(tmp_path: Path) -> None:
    """No REDIS_URL and no local Redis of scripts/serve: exit 2 and say why, touch nothing."""
    done = _ops(tmp_path, "jobs", "purge", LOCAL_REDIS_PORT=str(free_port()))

    assert done.returncode == 2
    assert "REDIS_URL is not set" in done.stderr and "does not guess" in done.stderr
    assert "removed" not in done.stdout


def test_it_uses_the_local_redis_of_scripts_serve(
    tmp_path: Path, start_redis_server: Callable[..., RedisServer]
) -> None:
    """With the local Redis running (its port as scripts/serve knows it), that one is used."""
    local = start_redis_server(appendonly=False)
    run_id = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
    fields = {"run_id": run_id, "status": "failed", "attempts": "1"}
    local.client().hset(f"dfs:job:{run_id}", mapping=fields)

    done = _ops(tmp_path, "jobs", "list", LOCAL_REDIS_PORT=str(local.port))

    assert done.returncode == 0, done.stderr
    assert f"Redis redis://127.0.0.1:{local.port}/0" in done.stderr
    assert run_id in done.stdout and "1 job(s)" in done.stdout


def test_redis_url_wins_and_is_named(tmp_path: Path, settings, real_redis) -> None:
    """REDIS_URL set: that Redis, named by the CLI with the key prefix."""
    from tests.conftest import SHARED_REDIS_URL

    done = _ops(
        tmp_path,
        "jobs",
        "list",
        REDIS_URL=SHARED_REDIS_URL,
        REDIS_KEY_PREFIX=settings.redis_key_prefix,
    )

    assert done.returncode == 0, done.stderr
    assert "ops: Redis from REDIS_URL" in done.stderr
    assert settings.redis_key_prefix in done.stderr and "0 job(s)" in done.stdout
