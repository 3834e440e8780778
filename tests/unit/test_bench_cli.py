"""The pure parts of the benchmark CLI: options, pooled figures, one job's cycle."""

from __future__ import annotations

from typing import Any

import pytest

from bench.__main__ import parse_args
from bench.compare import job_cycle
from bench.load import LoadResult


class ScriptedClient:
    """Answers each call with the next scripted (status, document); records what was asked."""

    def __init__(self, answers: list[tuple[int, Any]]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, str]] = []

    def call(self, method: str, path: str, body: bytes | None = None) -> tuple[int, Any, float]:
        self.calls.append((method, path))
        status, document = self.answers.pop(0)
        return status, document, 0.001


def test_jobs_defaults_compare_three_systems_at_16_clients() -> None:
    """`python -m bench jobs` compares all three systems on both kinds of job, 16 clients."""
    args = parse_args(["jobs"])
    assert (args.systems, args.kinds, args.clients) == ("service,celery,rq", "noop,optimize", 16)
    assert parse_args(["jobs", "--service-env", "A=1", "--service-env", "B=2"]).service_env == [
        "A=1",
        "B=2",
    ]


def test_percentiles_are_nearest_rank_in_ms() -> None:
    result = LoadResult(1.0, samples={"job": [0.004, 0.001, 0.003, 0.002]})
    assert result.ms("job", 50) == pytest.approx(2.0)
    assert result.ms("job", 99) == pytest.approx(4.0)
    assert result.ms("status", 50) != result.ms("status", 50)  # nan without samples


def test_windows_pool_their_time_and_keep_each_rate() -> None:
    """Rounds pool cycles over their summed windows; each round's rate stays visible."""
    total = LoadResult(0.0)
    total.add(LoadResult(10.0, cycles=100), window=True)
    total.add(LoadResult(10.0, cycles=300), window=True)
    assert total.rate == pytest.approx(20.0)
    assert total.rates == [pytest.approx(10.0), pytest.approx(30.0)]


def test_job_cycle_polls_until_complete_then_reads_the_result() -> None:
    client = ScriptedClient([
        (202, {"run_id": "r1", "status": "pending"}),
        (200, {"status": "pending"}),
        (200, {"status": "running"}),
        (200, {"status": "complete"}),
        (200, {"result": {"lineups": [{}, {}]}}),
    ])  # fmt: skip
    samples = job_cycle({"slate_id": "x"}, lineups=2)(client)
    assert [what for what, _ in samples] == [
        "submit",
        "status",
        "status",
        "status",
        "job",
        "result",
    ]
    assert client.calls[0] == ("POST", "/optimize")
    assert client.calls[-1] == ("GET", "/optimize/r1/result")


@pytest.mark.parametrize(
    "answers",
    [
        [(503, {"error": {}})],
        [(202, {"run_id": "r1"}), (200, {"status": "failed"})],
        [
            (202, {"run_id": "r1"}),
            (200, {"status": "complete"}),
            (200, {"result": {"lineups": []}}),
        ],
    ],
    ids=["refused submit", "failed job", "too few lineups"],
)
def test_job_cycle_fails_on_a_job_that_did_not_do_its_work(answers: list) -> None:
    with pytest.raises(RuntimeError):
        job_cycle({"slate_id": "x"}, lineups=2)(ScriptedClient(answers))
