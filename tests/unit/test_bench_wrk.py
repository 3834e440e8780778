"""The wrk helpers of the load generator: its output parser and its POST script."""

from __future__ import annotations

import json
import re

import pytest

from bench.load import parse_wrk_output, wrk_post_script

# What `wrk -t2 -c16 -d5s --latency` printed for a POST run on this machine (4.1.0).
WRK_OUTPUT = """\
Running 5s test @ http://127.0.0.1:40123/optimize
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     7.91ms    6.02ms  83.20ms   87.61%
    Req/Sec     1.03k   178.52     1.38k    70.00%
  Latency Distribution
     50%    6.94ms
     75%   10.12ms
     90%   15.32ms
     99%   53.27ms
  10265 requests in 5.10s, 2.88MB read
  Non-2xx or 3xx responses: 12
Requests/sec:   2014.31
Transfer/sec:    578.46KB
"""


def test_parse_wrk_output_reads_rate_percentiles_and_errors() -> None:
    """Req/s, the latency percentiles in ms and the error lines come out of wrk's report."""
    parsed = parse_wrk_output(WRK_OUTPUT)
    assert parsed["rps"] == pytest.approx(2014.31)
    assert parsed["p50_ms"] == pytest.approx(6.94)
    assert parsed["p90_ms"] == pytest.approx(15.32)
    assert parsed["p99_ms"] == pytest.approx(53.27)
    assert parsed["errors"] == ["Non-2xx or 3xx responses: 12"]


@pytest.mark.parametrize(
    ("text", "seconds_ms"), [("456.00us", 0.456), ("1.50ms", 1.5), ("1.02s", 1020.0)]
)
def test_parse_wrk_output_converts_units(text: str, seconds_ms: float) -> None:
    """wrk's us, ms and s suffixes all become milliseconds."""
    assert parse_wrk_output(f"     99%   {text}\n")["p99_ms"] == pytest.approx(seconds_ms)


@pytest.mark.parametrize(
    "body",
    [{"slate_id": "bench", "players": []}, {"name": 'Zoë "Q" \\ ]] ]=] \u00e9'}],
)
def test_wrk_post_script_carries_the_body_verbatim(tmp_path, body: dict) -> None:
    """The body sits in a Lua long string whose brackets do not occur in it."""
    script = wrk_post_script(body, tmp_path / "post.lua").read_text()
    match = re.search(r"wrk\.body = \[(=*)\[(.*)\]\1\]\n", script, re.DOTALL)
    assert match is not None
    assert f"]{match.group(1)}]" not in match.group(2)
    assert json.loads(match.group(2)) == body
    assert 'wrk.method = "POST"' in script
