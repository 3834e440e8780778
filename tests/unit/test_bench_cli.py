"""The pure parts of the benchmark CLI: options, pooled figures, one job's cycle."""

from __future__ import annotations

from typing import Any

import pytest

from bench.__main__ import parse_args
from bench.compare import job_cycle
from bench.load import LoadResult, request_cycle, wrk_args
from bench.service import auth_modes, status_summary


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


def test_http_runs_one_auth_mode_unless_told_more() -> None:
    """`python -m bench http` runs AUTH_MODE none alone, once; --auth-modes names several."""
    args = parse_args(["http"])
    assert (auth_modes(args.auth_modes), args.rounds) == (["none"], 1)
    more = parse_args(["http", "--auth-modes", "none,api_key", "--rounds", "3"])
    assert (auth_modes(more.auth_modes), more.rounds) == (["none", "api_key"], 3)


@pytest.mark.parametrize("text", ["", "none,header", "api_key,api_key", "basic"])
def test_http_refuses_auth_modes_it_cannot_run(text: str) -> None:
    """Only distinct modes of none and api_key (header mode needs a gateway in front)."""
    with pytest.raises(ValueError, match="--auth-modes"):
        auth_modes(text)


def test_the_status_summary_compares_medians_with_the_first_mode() -> None:
    """Each mode's median req/s, p50 and p99 over rounds, and their ratios to the first's."""
    runs = {
        "none": [{"rps": 1000.0, "p50_ms": 10.0, "p99_ms": 40.0},
                 {"rps": 800.0, "p50_ms": 12.0, "p99_ms": 60.0},
                 {"rps": 900.0, "p50_ms": 11.0, "p99_ms": 50.0}],
        "api_key": [{"rps": 720.0, "p50_ms": 13.2, "p99_ms": 55.0},
                    {"rps": 810.0, "p50_ms": 12.1, "p99_ms": 45.0},
                    {"rps": 700.0, "p50_ms": 14.0, "p99_ms": 75.0}],
    }  # fmt: skip

    lines = status_summary(runs)

    assert lines[0] == "status read (GET /optimize/<id>), median of 3 round(s):"
    assert lines[1].split() == ["none", "900", "req/s", "p50", "11.00", "ms", "p99", "50.00", "ms"]
    assert lines[-1] == "  api_key / none: req/s 0.80x, p50 1.20x, p99 1.10x"


def test_wrk_sends_the_given_headers() -> None:
    """Each header becomes a -H option before the URL (a POST script keeps its own too)."""
    args = wrk_args("http://h/x", 5, 16, None, {"Authorization": "Bearer lok_k"})
    assert args[-3:] == ["-H", "Authorization: Bearer lok_k", "http://h/x"]


def test_a_request_cycle_sends_its_headers() -> None:
    """The Python client's cycle passes the headers (an API key) with every request."""
    sent: list[dict | None] = []

    class Recording:
        def call(self, method: str, path: str, body: bytes | None, headers: dict | None) -> Any:
            sent.append(headers)
            return 200, {}, 0.001

    request_cycle("GET", "/x", headers={"Authorization": "Bearer k"})(Recording())

    assert sent == [{"Authorization": "Bearer k"}]
