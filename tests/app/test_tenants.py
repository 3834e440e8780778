"""Tenants on fakeredis: API keys (401), header mode behind a trusted proxy, and ownership of
jobs, slates and Idempotency-Keys (another tenant's answer 404)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import valid_players
from tests.support.dk_csv import nfl_salary_csv
from tests.support.waiting import wait_until
from webapp.jobs.extension import get_jobs
from webapp.tenants import api_keys
from webapp.tenants.auth import get_auth


@pytest.fixture
def keyed_app(make_app: Callable[..., Flask]) -> Flask:
    """The service with AUTH_MODE=api_key."""
    return make_app(auth_mode="api_key")


# A well-formed run id no job has.
UNKNOWN_RUN_ID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"


def _key(app: Flask, name: str, **limits: float) -> dict[str, str]:
    key = get_auth(app).api_keys.create(name, **limits)
    return {"Authorization": f"Bearer {key}"}


def _submit(client: FlaskClient, headers: dict[str, str], **extra: str) -> str:
    body = {"slate_id": "noop", "players": valid_players()}
    response = client.post("/optimize", json=body, headers={**headers, **extra})
    assert response.status_code == 202, response.json
    return response.json["run_id"]


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer lok_wrong", "Bearer ", "Basic YWRtaW46eA=="],
    ids=["missing", "wrong", "empty", "other-scheme"],
)
def test_a_missing_or_wrong_key_is_401_with_one_answer(
    keyed_app: Flask, authorization: str | None
) -> None:
    """Every caller without a valid key gets the same 401 with WWW-Authenticate: Bearer."""
    _key(keyed_app, "acme")
    headers = {"Authorization": authorization} if authorization else {}

    response = keyed_app.test_client().get("/optimize/01ARZ3NDEKTSV4RRFFQ69G5FAV", headers=headers)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json["error"] == {
        "code": "unauthorized",
        "message": "a valid API key is required (Authorization: Bearer <key>)",
        "details": None,
    }


@pytest.mark.parametrize("path", ["/health", "/ready", "/metrics", "/openapi.json"])
def test_probes_metrics_and_the_api_document_stay_open(keyed_app: Flask, path: str) -> None:
    """Health, readiness, metrics and the OpenAPI document answer without a key."""
    response = keyed_app.test_client().get(path)

    assert response.status_code != 401


def test_ready_shows_the_auth_mode(keyed_app: Flask) -> None:
    """/ready says which AUTH_MODE the instance runs."""
    assert keyed_app.test_client().get("/ready").json["authMode"] == "api_key"


def test_metrics_asks_for_its_token_when_one_is_set(make_app: Callable[..., Flask]) -> None:
    """With METRICS_TOKEN, /metrics is 401 without it and 200 with it."""
    client = make_app(auth_mode="api_key", metrics_token="scrape-me").test_client()

    assert client.get("/metrics").status_code == 401
    ok = client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
    assert ok.status_code == 200


def test_a_revoked_key_is_refused_at_once(keyed_app: Flask) -> None:
    """A key works until it is revoked, then answers 401."""
    client, headers = keyed_app.test_client(), _key(keyed_app, "acme")
    run_id = _submit(client, headers)

    get_auth(keyed_app).api_keys.revoke("acme")

    assert client.get(f"/optimize/{run_id}", headers=headers).status_code == 401


def test_another_process_trusts_a_key_it_read_for_the_cache_time(
    keyed_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process that read a key serves it without Redis for KEY_CACHE_S; a revoke made
    elsewhere (another instance's store on the same Redis) holds there once that passes."""
    clock = {"now": 1000.0}
    monkeypatch.setattr(api_keys.time, "monotonic", lambda: clock["now"])
    keys = get_auth(keyed_app).api_keys
    elsewhere = api_keys.ApiKeys(lambda: keys.redis, keys.keys, keys.defaults)
    key = keys.create("acme")
    assert keys.authenticate(key) is not None

    elsewhere.revoke("acme")
    clock["now"] += api_keys.KEY_CACHE_S / 2
    still = keys.authenticate(key)
    clock["now"] += api_keys.KEY_CACHE_S / 2

    assert still is not None and still.name == "acme"
    assert keys.authenticate(key) is None


def test_redis_holds_only_the_digest_of_a_key(keyed_app: Flask) -> None:
    """No Redis key name or value holds the key itself."""
    headers = _key(keyed_app, "acme")
    key = headers["Authorization"].removeprefix("Bearer ")
    client = keyed_app.test_client()
    _submit(client, headers)
    redis = get_jobs(keyed_app).store().redis

    dumped = [(name, redis.dump(name)) for name in redis.scan_iter(match=f"{keyed_app.name}*")] + [
        (name, redis.dump(name)) for name in redis.scan_iter()
    ]

    assert dumped, "nothing was stored"
    assert not any(key.encode() in name or key.encode() in (value or b"") for name, value in dumped)


def test_keys_list_shows_names_limits_and_use(keyed_app: Flask) -> None:
    """A key's name, its own limits and its last use are listed; the key is not."""
    headers = _key(keyed_app, "acme", max_pending=7)
    keyed_app.test_client().get("/optimize/01ARZ3NDEKTSV4RRFFQ69G5FAV", headers=headers)

    (info,) = get_auth(keyed_app).api_keys.list()

    assert (info.name, info.max_pending, info.max_running) == ("acme", 7, None)
    assert info.last_used_at is not None


def _complete(app: Flask, run_id: str) -> None:
    store = get_jobs(app).store()
    claim = store.claim_next("test-owner")
    assert claim is not None and claim.record.run_id == run_id
    store.complete(run_id, claim.token, {"lineups": []})


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("get", "?wait=5"),
        ("get", "?include=input"),
        ("get", "/input"),
        ("get", "/result"),
        ("get", "/result.csv"),
        ("delete", ""),
    ],
    ids=["status", "status-wait", "status-input", "input", "result", "result-csv", "cancel"],
)
def test_another_tenants_job_is_404_on_every_route(
    keyed_app: Flask, method: str, suffix: str
) -> None:
    """Tenant B learns nothing of tenant A's job: every route answers 404 as for no job."""
    client = keyed_app.test_client()
    alice, bob = _key(keyed_app, "alice"), _key(keyed_app, "bob")
    run_id = _submit(client, alice)
    _complete(keyed_app, run_id)

    response = getattr(client, method)(f"/optimize/{run_id}{suffix}", headers=bob)

    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    owner = getattr(client, method)(f"/optimize/{run_id}{suffix}", headers=alice)
    assert owner.status_code in (200, 409)  # 409: a complete job has nothing to cancel


# Every route that reads or cancels a job by its id, optimize's and contests' alike.
JOB_ROUTES = [
    ("get", "/optimize/{}"),
    ("get", "/optimize/{}?wait=5"),
    ("get", "/optimize/{}?include=input"),
    ("get", "/optimize/{}/input"),
    ("get", "/optimize/{}/result"),
    ("get", "/optimize/{}/result.csv"),
    ("delete", "/optimize/{}"),
    ("get", "/contests/{}"),
    ("get", "/contests/{}/input"),
    ("get", "/contests/{}/result"),
    ("delete", "/contests/{}"),
]
JOB_ROUTE_IDS = [
    "status", "status-wait", "status-input", "input", "result", "result-csv", "cancel",
    "contest-status", "contest-input", "contest-result", "contest-cancel",
]  # fmt: skip


@pytest.fixture
def expiring_app(make_app: Callable[..., Flask]) -> Flask:
    """AUTH_MODE=api_key, and a finished job's record expires after one second."""
    return make_app(auth_mode="api_key", job_ttl_seconds=1)


def _expired_job(app: Flask, headers: dict[str, str]) -> str:
    """A job of the tenant of `headers`, complete and then expired: its tombstone is left."""
    run_id = _submit(app.test_client(), headers)
    _complete(app, run_id)
    store = get_jobs(app).store()
    wait_until(lambda: not store.redis.exists(store.keys.job(run_id)), 5, 0.05)
    assert store.redis.exists(store.keys.tombstone(run_id))
    return run_id


@pytest.mark.parametrize(("method", "route"), JOB_ROUTES, ids=JOB_ROUTE_IDS)
def test_another_tenants_expired_job_is_404_and_the_owners_410(
    expiring_app: Flask, method: str, route: str
) -> None:
    """Once tenant A's job has expired, tenant B still gets 404 as for no job; A gets 410."""
    client = expiring_app.test_client()
    alice, bob = _key(expiring_app, "alice"), _key(expiring_app, "bob")
    run_id = _expired_job(expiring_app, alice)

    other = getattr(client, method)(route.format(run_id), headers=bob)
    owner = getattr(client, method)(route.format(run_id), headers=alice)

    unknown = getattr(client, method)(route.format(UNKNOWN_RUN_ID), headers=bob)
    assert (other.status_code, unknown.status_code) == (404, 404)
    assert other.get_data(as_text=True) == unknown.get_data(as_text=True).replace(
        UNKNOWN_RUN_ID, run_id
    )
    assert (owner.status_code, owner.json["error"]["code"]) == (410, "expired")


def test_an_expired_job_without_a_tenant_is_404_to_a_tenant(make_app: Callable[..., Flask]) -> None:
    """A job submitted without a tenant (AUTH_MODE=none) and expired is no tenant's: 404."""
    shared = make_app(job_ttl_seconds=1)
    run_id = _expired_job(shared, {})
    keyed = make_app(auth_mode="api_key")  # the same Redis and key prefix

    response = keyed.test_client().get(f"/optimize/{run_id}", headers=_key(keyed, "alice"))

    assert response.status_code == 404


def test_an_expired_job_still_answers_410_in_mode_none(make_app: Callable[..., Flask]) -> None:
    """Without authentication everyone shares every job: a tenant's expired job reads 410."""
    keyed = make_app(auth_mode="api_key", job_ttl_seconds=1)
    run_id = _expired_job(keyed, _key(keyed, "alice"))
    shared = make_app()  # the same Redis and key prefix

    assert shared.test_client().get(f"/optimize/{run_id}").status_code == 410


def test_a_tombstone_naming_no_owner_is_404_to_every_tenant(expiring_app: Flask) -> None:
    """A tombstone written before tombstones named their owner ('1') proves no one owns it."""
    alice = _key(expiring_app, "alice")
    run_id = _expired_job(expiring_app, alice)
    store = get_jobs(expiring_app).store()
    store.redis.set(store.keys.tombstone(run_id), "1")

    response = expiring_app.test_client().get(f"/optimize/{run_id}", headers=alice)

    assert response.status_code == 404


def test_another_tenants_result_that_expired_first_is_404(keyed_app: Flask) -> None:
    """A complete job whose result expired a moment before its record is 404 to tenant B."""
    client = keyed_app.test_client()
    alice, bob = _key(keyed_app, "alice"), _key(keyed_app, "bob")
    run_id = _submit(client, alice)
    _complete(keyed_app, run_id)
    store = get_jobs(keyed_app).store()
    store.redis.delete(store.keys.result(run_id))

    other = client.get(f"/optimize/{run_id}/result", headers=bob)
    owner = client.get(f"/optimize/{run_id}/result", headers=alice)

    assert (other.status_code, owner.status_code) == (404, 410)


def test_another_tenants_job_is_not_cancelled(keyed_app: Flask) -> None:
    """A DELETE by tenant B leaves tenant A's job pending."""
    client = keyed_app.test_client()
    alice, bob = _key(keyed_app, "alice"), _key(keyed_app, "bob")
    run_id = _submit(client, alice)

    client.delete(f"/optimize/{run_id}", headers=bob)

    assert client.get(f"/optimize/{run_id}", headers=alice).json["status"] == "pending"


def _upload(client: FlaskClient, headers: dict[str, str], text: str) -> int:
    response = client.post(
        "/slates?sport=nfl&slate_id=main",
        data=text.encode(),
        content_type="text/csv",
        headers=headers,
    )
    return response.status_code


def test_slate_ids_are_per_tenant(keyed_app: Flask) -> None:
    """Two tenants both upload "main"; each reads back its own, and a third has none."""
    client = keyed_app.test_client()
    alice, bob, carol = (_key(keyed_app, name) for name in ("alice", "bob", "carol"))
    full = nfl_salary_csv()
    short = "\n".join(full.splitlines()[:60])
    assert (_upload(client, alice, full), _upload(client, bob, short)) == (201, 201)

    counts = [client.get("/slates/main", headers=h).json["players"] for h in (alice, bob)]

    assert counts[0] > counts[1]
    assert client.get("/slates/main", headers=carol).status_code == 404


def test_a_submit_by_another_tenants_slate_id_finds_no_slate(keyed_app: Flask) -> None:
    """Tenant B cannot submit with tenant A's slate: it is refused as an unknown slate."""
    client = keyed_app.test_client()
    alice, bob = _key(keyed_app, "alice"), _key(keyed_app, "bob")
    _upload(client, alice, nfl_salary_csv())

    response = client.post("/optimize", json={"slate_id": "main", "sport": "nfl"}, headers=bob)

    assert response.json["error"]["code"] == "slate_not_found"
    ok = client.post("/optimize", json={"slate_id": "main", "sport": "nfl"}, headers=alice)
    assert ok.status_code == 202


def test_idempotency_keys_are_per_tenant(keyed_app: Flask) -> None:
    """The same Idempotency-Key from two tenants makes two jobs; a replay finds its own."""
    client = keyed_app.test_client()
    alice, bob = _key(keyed_app, "alice"), _key(keyed_app, "bob")
    idem = {"Idempotency-Key": "order-1"}

    first, second = _submit(client, alice, **idem), _submit(client, bob, **idem)

    assert first != second
    assert _submit(client, alice, **idem) == first


@pytest.mark.parametrize(
    ("remote_addr", "user", "expected"),
    [
        ("127.0.0.1", "alice", 202),
        ("10.1.2.3", "alice", 401),
        ("127.0.0.1", None, 401),
        ("127.0.0.1", "bad name!", 401),
    ],
    ids=["trusted-proxy", "untrusted-peer", "no-header", "malformed-name"],
)
def test_header_mode_trusts_the_user_header_only_from_trusted_proxies(
    make_app: Callable[..., Flask], remote_addr: str, user: str | None, expected: int
) -> None:
    """AUTH_MODE=header takes USER_ID_HEADER as the tenant only from TRUSTED_PROXIES."""
    app = make_app(auth_mode="header", user_id_header="X-User-Id")
    headers = {"X-User-Id": user} if user else {}
    body = {"slate_id": "noop", "players": valid_players()}

    response = app.test_client().post(
        "/optimize", json=body, headers=headers, environ_base={"REMOTE_ADDR": remote_addr}
    )

    assert response.status_code == expected


def test_mode_none_keeps_everything_shared(client: FlaskClient) -> None:
    """Without authentication, any caller reads any job, as before tenants."""
    run_id = _submit(client, {})

    assert client.get(f"/optimize/{run_id}").status_code == 200


def test_a_tenant_at_its_pending_limit_gets_429_and_nothing_is_stored(keyed_app: Flask) -> None:
    """The submit past --max-pending answers 429 with Retry-After; no job is made."""
    client, headers = keyed_app.test_client(), _key(keyed_app, "acme", max_pending=2)
    _submit(client, headers), _submit(client, headers)
    store = get_jobs(keyed_app).store()
    before = store.queue_stats().pending

    response = client.post(
        "/optimize", json={"slate_id": "noop", "players": valid_players()}, headers=headers
    )

    assert response.status_code == 429
    assert response.json["error"]["details"]["limit"] == "max_pending"
    assert int(response.headers["Retry-After"]) > 0
    assert store.queue_stats().pending == before


def test_a_job_that_left_the_queue_frees_its_place(keyed_app: Flask) -> None:
    """Once one of its jobs is claimed, a tenant at its pending limit may submit again."""
    client, headers = keyed_app.test_client(), _key(keyed_app, "acme", max_pending=1)
    _submit(client, headers)
    assert get_jobs(keyed_app).store().claim_next("test-owner") is not None

    _submit(client, headers)


def test_started_jobs_are_not_kept_for_the_pending_limit(keyed_app: Flask) -> None:
    """The limit counts the tenant's queue itself: jobs that started are in no other set that
    grows with every submit (a key with a large --max-pending would keep them all)."""
    client, headers = (
        keyed_app.test_client(),
        _key(keyed_app, "acme", max_pending=10**6, max_running=100),
    )
    store = get_jobs(keyed_app).store()
    started = []
    for _ in range(5):
        _submit(client, headers)
        started.append(store.claim_next("test-owner").record.run_id)

    holding = [
        key
        for key in store.redis.scan_iter(match=f"{store.keys.prefix}:*", _type="zset")
        if any(store.redis.zscore(key, run_id) is not None for run_id in started)
    ]
    assert holding == [store.keys.leases.encode()]


def test_a_tenant_past_its_rate_gets_429_with_when_to_retry(
    make_app: Callable[..., Flask],
) -> None:
    """Past the bucket's burst, a submit is 429 `rate` with a Retry-After of whole seconds."""
    app = make_app(auth_mode="api_key", tenant_rate_burst=2)
    client, headers = app.test_client(), _key(app, "acme", rate_per_s=0.5)
    _submit(client, headers), _submit(client, headers)

    response = client.post(
        "/optimize", json={"slate_id": "noop", "players": valid_players()}, headers=headers
    )

    assert (response.status_code, response.json["error"]["details"]["limit"]) == (429, "rate")
    assert response.headers["Retry-After"] == "2"


def test_one_tenants_limit_leaves_another_alone(keyed_app: Flask) -> None:
    """A tenant at its pending limit does not stop another tenant's submit."""
    client = keyed_app.test_client()
    full, other = _key(keyed_app, "full", max_pending=1), _key(keyed_app, "other")
    _submit(client, full)

    _submit(client, other)
