"""A DraftKings day through real gunicorn and Redis: salary CSV in, upload CSV out, late swap."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import requests

from tests.support.dk_csv import nfl_salary_csv
from tests.support.gunicorn_server import GunicornServer
from tests.unit.optimizer.validator import lineup_problems

pytestmark = pytest.mark.integration

TWO_PM = "2024-10-13T18:00:00Z"  # 2:00 PM Eastern: the 1:00 PM games have started


def _finished(base: str, run_id: str) -> dict:
    for _ in range(20):  # each read waits up to 10 s for a change: at most 200 s in all
        document = requests.get(f"{base}/optimize/{run_id}?wait=10", timeout=20).json()
        if document["status"] in {"complete", "failed"}:
            return document
    raise AssertionError(f"job {run_id} did not finish: {document}")


def _rows(base: str, run_id: str) -> list[list[str]]:
    response = requests.get(f"{base}/optimize/{run_id}/result.csv", timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.text)))


@pytest.mark.timeout(300)
def test_salary_csv_to_upload_csv_and_late_swap(service_env: dict, tmp_path: Path) -> None:
    """Upload a real-size salary file, optimize by slate id, read valid DraftKings rows of the
    uploaded ids, then late-swap at 2:00 PM: 1:00 PM players stay put, nobody joins a started
    game."""
    server = GunicornServer(tmp_path, service_env, app="webapp:create_app()", name="dk")
    server.start()
    try:
        base = server.url
        upload = requests.post(
            f"{base}/slates?sport=nfl&slate_id=sunday",
            data=nfl_salary_csv(seed=4).encode(),
            headers={"Content-Type": "text/csv"},
            timeout=20,
        )
        assert upload.status_code == 201, upload.text
        assert (upload.json()["players"], upload.json()["games"]) == (456, 12)
        players = requests.get(f"{base}/slates/sunday", timeout=10).json()["players"]
        by_id = {p["id"]: p for p in players}

        body = {"slate_id": "sunday", "n_lineups": 10, "n_scenarios": 0, "min_unique": 2}
        run_id = requests.post(f"{base}/optimize", json=body, timeout=20).json()["run_id"]
        assert _finished(base, run_id)["status"] == "complete"
        header, *rows = _rows(base, run_id)

        # The first lineup's players in later games are ruled out: they must be replaced.
        ruled_out = [i for i in rows[0] if by_id[i]["game_time"] > TWO_PM]
        swap = {"slate_id": "sunday", "n_scenarios": 0, "min_unique": 2, "excludes": ruled_out,
                "late_swap": {"now": TWO_PM, "lineups": rows}}  # fmt: skip
        swap_id = requests.post(f"{base}/optimize", json=swap, timeout=20).json()["run_id"]
        assert _finished(base, swap_id)["status"] == "complete"
        _, *swapped = _rows(base, swap_id)
        result = requests.get(f"{base}/optimize/{swap_id}/result", timeout=10).json()["result"]
    finally:
        server.stop()

    assert header == ["QB", "RB", "RB", "WR", "WR", "WR", "TE", "FLEX", "DST"]
    assert len(rows) == 10 and len(swapped) == 10
    assert ruled_out and not set(ruled_out) & set(swapped[0])
    for row in rows + swapped:
        lineup = {
            "players": [{"slot": s, "id": i} for s, i in zip(header, row, strict=True)],
            "salary": sum(by_id[i]["salary"] for i in row),
            "projection": sum(by_id[i]["projection"] for i in row),
        }
        assert lineup_problems(lineup, by_id, "nfl") == []
    for before, after in zip(rows, swapped, strict=True):
        for slot, player_id in enumerate(before):
            if by_id[player_id]["game_time"] <= TWO_PM:
                assert after[slot] == player_id, (before, after)
        assert all(by_id[i]["game_time"] > TWO_PM for i in set(after) - set(before))
    described = result["lineups"][0]["players"][0]
    assert {"slot", "id", "name", "positions", "team", "salary", "projection", "game_time"} <= (
        described.keys()
    )
