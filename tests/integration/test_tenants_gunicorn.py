"""Tenants through real gunicorn and Redis: keys made by the operator command, 401s, another
tenant's jobs and slates as 404, revocation on two instances, and no key left anywhere."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable

import pytest
import redis
import requests

from tests.conftest import valid_players
from tests.support.dk_csv import nfl_salary_csv
from tests.support.gunicorn_server import ROOT, GunicornServer
from tests.support.waiting import wait_until
from webapp.jobs.keys import Keys

pytestmark = pytest.mark.integration


def _keys_command(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    flask = os.path.join(os.path.dirname(sys.executable), "flask")
    return subprocess.run(
        [flask, "--app", "webapp", "keys", *args],
        env={**os.environ, **env, "LOG_FILE": ""},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def _create_key(env: dict[str, str], name: str) -> str:
    """`keys create NAME`: the key alone on the last line of stdout."""
    return _keys_command(env, "create", name).stdout.strip().splitlines()[-1]


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _contents(client: redis.Redis, name: bytes) -> bytes:
    """A key's name and every value it holds, as plain bytes (DUMP may compress them)."""
    kind = client.type(name)
    readers = {
        b"string": lambda: [client.get(name) or b""],
        b"hash": lambda: [item for pair in client.hgetall(name).items() for item in pair],
        b"zset": lambda: client.zrange(name, 0, -1),
        b"list": lambda: client.lrange(name, 0, -1),
        b"set": lambda: list(client.smembers(name)),
    }
    return b"\n".join([name, *readers.get(kind, list)()])


@pytest.fixture
def keyed_env(service_env: dict[str, str]) -> dict[str, str]:
    """The service's environment with AUTH_MODE=api_key."""
    return {**service_env, "AUTH_MODE": "api_key"}


def test_tenants_through_gunicorn(
    start_gunicorn: Callable[..., GunicornServer],
    keyed_env: dict[str, str],
    real_redis: redis.Redis,
    settings,
) -> None:
    """401 without or with a wrong key; B gets 404 for every one of A's routes and slates;
    a revoked key is 401 within 5 s on two instances; the key is in no Redis value, log
    line or response."""
    alice_key, bob_key = _create_key(keyed_env, "alice"), _create_key(keyed_env, "bob")
    first, second = start_gunicorn(keyed_env), start_gunicorn(keyed_env)
    alice, bob = _bearer(alice_key), _bearer(bob_key)
    bodies: list[str] = []

    def call(method: str, url: str, **kwargs: object) -> requests.Response:
        response = requests.request(method, url, timeout=30, **kwargs)  # type: ignore[arg-type]
        bodies.append(str(response.headers) + response.text)
        return response

    for headers in ({}, _bearer("lok_" + "x" * 43)):
        refused = call("get", f"{first.url}/optimize/01ARZ3NDEKTSV4RRFFQ69G5FAV", headers=headers)
        assert (refused.status_code, refused.headers["WWW-Authenticate"]) == (401, "Bearer")

    body = {"slate_id": "noop", "players": valid_players(), "n_scenarios": 0}
    run_id = call("post", f"{first.url}/optimize", json=body, headers=alice).json()["run_id"]
    wait_until(
        lambda: (
            call("get", f"{first.url}/optimize/{run_id}", headers=alice).json()["status"]
            == "complete"
        ),
        15,
    )
    uploaded = call(
        "post",
        f"{first.url}/slates?sport=nfl&slate_id=main",
        data=nfl_salary_csv().encode(),
        headers={**alice, "Content-Type": "text/csv"},
    )
    assert uploaded.status_code == 201
    for method, path in [
        ("get", f"/optimize/{run_id}"),
        ("get", f"/optimize/{run_id}/input"),
        ("get", f"/optimize/{run_id}/result"),
        ("get", f"/optimize/{run_id}/result.csv"),
        ("delete", f"/optimize/{run_id}"),
        ("get", "/slates/main"),
    ]:
        assert call(method, second.url + path, headers=bob).status_code == 404, path
        assert call(method, second.url + path, headers=alice).status_code in (200, 409), path
    by_slate = call(
        "post", f"{second.url}/optimize", json={"slate_id": "main", "sport": "nfl"}, headers=bob
    )
    assert by_slate.json()["error"]["code"] == "slate_not_found"

    _keys_command(keyed_env, "revoke", "alice")
    revoked_at = time.monotonic()
    for server in (first, second):
        wait_until(
            lambda s=server: (
                call("get", f"{s.url}/optimize/{run_id}", headers=alice).status_code == 401
            ),
            5 - (time.monotonic() - revoked_at),
        )

    listed = _keys_command(keyed_env, "list").stdout
    assert "bob" in listed and "alice" not in listed
    stored = b"\n".join(
        _contents(real_redis, name)
        for name in real_redis.scan_iter(match=f"{settings.redis_key_prefix}*")
    )
    assert b"alice" in stored  # the scan saw the tenant's records
    for key in (alice_key, bob_key):
        assert key.encode() not in stored
        assert key not in first.log_text() + second.log_text() + listed
        assert not any(key in text for text in bodies)


def test_a_tenant_at_its_pending_limit_gets_429_through_gunicorn(
    start_gunicorn: Callable[..., GunicornServer], keyed_env: dict[str, str]
) -> None:
    """With no job slot free, the submit past --max-pending is 429 with Retry-After."""
    key = _keys_command(keyed_env, "create", "acme", "--max-pending", "2").stdout.splitlines()[-1]
    server = start_gunicorn({**keyed_env, "JOB_WORKERS": "1"})
    body = {"slate_id": "sleep:30", "players": valid_players(), "n_scenarios": 0}
    answers = [
        requests.post(f"{server.url}/optimize", json=body, headers=_bearer(key), timeout=10)
        for _ in range(4)
    ]

    codes = [answer.status_code for answer in answers]
    # One job may be running already (no longer pending): 2 or 3 accepted, then 429.
    assert codes[:2] == [202, 202] and codes[-1] == 429, codes
    assert int(answers[-1].headers["Retry-After"]) > 0
    assert answers[-1].json()["error"]["details"]["limit"] == "max_pending"


def test_another_tenants_expired_job_is_404_through_gunicorn(
    start_gunicorn: Callable[..., GunicornServer],
    keyed_env: dict[str, str],
    real_redis: redis.Redis,
    settings,
) -> None:
    """Once A's job has expired in Redis, B's status read is 404 as for no job, A's is 410."""
    alice, bob = (_bearer(_create_key(keyed_env, name)) for name in ("alice", "bob"))
    server = start_gunicorn({**keyed_env, "JOB_TTL_SECONDS": "1"})
    body = {"slate_id": "noop", "players": valid_players(), "n_scenarios": 0}
    run_id = requests.post(f"{server.url}/optimize", json=body, headers=alice, timeout=10).json()[
        "run_id"
    ]
    record = Keys(settings.redis_key_prefix).job(run_id)
    wait_until(lambda: real_redis.hget(record, "status") == b"complete", 15)
    wait_until(lambda: not real_redis.exists(record), 5)

    other = requests.get(f"{server.url}/optimize/{run_id}", headers=bob, timeout=10)
    owner = requests.get(f"{server.url}/optimize/{run_id}", headers=alice, timeout=10)

    assert (other.status_code, other.json()["error"]["code"]) == (404, "not_found")
    assert (owner.status_code, owner.json()["error"]["code"]) == (410, "expired")
