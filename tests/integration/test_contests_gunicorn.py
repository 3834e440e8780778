"""A contest through real gunicorn and a private redis-server: optimize lineups, enter them by
run id in a simulated contest, read the result."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from bench.slates import nfl_slate, with_ownership
from tests.support.gunicorn_server import GunicornServer
from tests.support.redis_server import RedisServer
from webapp.api.response_schemas import ContestResultResponseSchema
from webapp.config import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PAYOUTS = [
    {"min_rank": 1, "max_rank": 1, "prize": 400.0},
    {"min_rank": 2, "max_rank": 3, "prize": 100.0},
    {"min_rank": 4, "max_rank": 60, "prize": 8.0},
]


def _finished(base: str, collection: str, run_id: str) -> dict:
    for _ in range(30):  # each read waits up to 10 s for a change: at most 300 s in all
        document = requests.get(f"{base}/{collection}/{run_id}?wait=10", timeout=20).json()
        if document["status"] in {"complete", "failed"}:
            return document
    raise AssertionError(f"{collection} job {run_id} did not finish: {document}")


@pytest.mark.timeout(300)
def test_optimized_lineups_enter_a_simulated_contest(
    start_redis_server: Callable[..., RedisServer], settings: Settings, tmp_path: Path
) -> None:
    """POST /optimize, then POST /contests with its run id: the contest job completes in the
    gunicorn service, its result prices each lineup as the document says, and the same
    request with the same seed gives the same numbers."""
    redis_server = start_redis_server(appendonly=False)
    env = {"REDIS_URL": redis_server.url, "REDIS_KEY_PREFIX": settings.redis_key_prefix}
    server = GunicornServer(tmp_path, env, app="webapp:create_app()", workers=2, name="contest")
    server.start()
    try:
        base = server.url
        players = with_ownership(nfl_slate(seed=3, games=5), "nfl")
        optimize = {"players": players, "n_lineups": 5, "n_scenarios": 0, "sport": "nfl"}
        optimize_id = requests.post(f"{base}/optimize", json=optimize, timeout=20).json()["run_id"]
        assert _finished(base, "optimize", optimize_id)["status"] == "complete"
        contest = {
            "field_size": 500, "entry_fee": 3.0, "max_entries": 20, "payouts": PAYOUTS,
            "n_sims": 2000, "seed": 11, "optimal_sims": 50,
        }  # fmt: skip
        body = {"from_run_id": optimize_id, "contest": contest}

        run_ids = [
            requests.post(f"{base}/contests", json=body, timeout=20).json()["run_id"]
            for _ in range(2)
        ]
        documents = [_finished(base, "contests", run_id) for run_id in run_ids]
        results = [
            requests.get(f"{base}/contests/{run_id}/result", timeout=20).json()
            for run_id in run_ids
        ]
    finally:
        server.stop()

    assert [d["status"] for d in documents] == ["complete", "complete"], documents
    assert ContestResultResponseSchema().validate(results[0]) == {}
    result = results[0]["result"]
    assert len(result["lineups"]) == 5 and result["field"]["entries"] == 495
    assert result["settings"]["n_sims"] == 2000 and result["settings"]["optimal_sims"] == 50
    assert all(row["roi_se"] > 0 for row in result["lineups"])
    assert results[1]["result"] == result
