"""Fault matrix: run the fault tests and print one line per fault scenario.

Usage: .venv/bin/python bench/fault_matrix.py [--redis-url redis://127.0.0.1:6379/0] [-k EXPR]

Each fault test (tests/integration/test_faults_*.py) starts its own redis-server and gunicorn
processes; the shared Redis given by --redis-url (TEST_REDIS_URL) only holds the tests' start
counters, under a per-test prefix. The tests run with --runxfail, so a fault that is not fixed
yet shows as `failed`, not as an expected failure. Each test writes what became of its jobs to
a JSON file (tests/support/fault_summary.py); this script only reads those files and pytest's
JUnit report, and prints:

    scenario  result  accepted  completed  run twice  lost  statuses
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FAULT_TESTS = sorted(
    str(p.relative_to(ROOT)) for p in ROOT.glob("tests/integration/test_faults_*.py")
)
SUMMARY_DIR_ENV = "FAULT_SUMMARY_DIR"  # read by tests/support/fault_summary.py


def run_pytest(summary_dir: Path, junit: Path, redis_url: str | None, keyword: str | None) -> int:
    """Run the fault tests once; their summaries land in summary_dir."""
    env = {**os.environ, SUMMARY_DIR_ENV: str(summary_dir)}
    if redis_url:
        env["TEST_REDIS_URL"] = redis_url
    args = [
        sys.executable,
        "-m",
        "pytest",
        *FAULT_TESTS,
        "-q",
        "--runxfail",
        "-p",
        "no:cacheprovider",
        f"--junitxml={junit}",
    ]
    if keyword:
        args += ["-k", keyword]
    return subprocess.call(args, cwd=ROOT, env=env)


def outcomes(junit: Path) -> dict[str, str]:
    """Test name -> passed / failed / error / skipped, from pytest's JUnit report."""
    results = {}
    for case in ElementTree.parse(junit).iter("testcase"):
        kinds = {child.tag for child in case}
        result = next((k for k in ("failure", "error", "skipped") if k in kinds), "passed")
        results[case.get("name", "")] = {"failure": "failed"}.get(result, result)
    return results


def print_table(summary_dir: Path, results: dict[str, str]) -> None:
    header = ("scenario", "result", "accepted", "completed", "run twice", "lost", "statuses")
    rows = []
    for name, result in sorted(results.items()):
        path = summary_dir / f"{name}.json"
        summary = json.loads(path.read_text()) if path.exists() else {}
        counts = [summary.get(k, "-") for k in ("accepted", "completed", "ran_twice", "lost")]
        statuses = ",".join(f"{k}={v}" for k, v in summary.get("statuses", {}).items())
        rows.append((name, result, *map(str, counts), statuses or summary.get("error", "-")))
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--redis-url", help="shared Redis for start counters (TEST_REDIS_URL)")
    parser.add_argument("-k", dest="keyword", help="only the scenarios matching this expression")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fault-matrix-") as tmp:
        summary_dir, junit = Path(tmp), Path(tmp) / "junit.xml"
        code = run_pytest(summary_dir, junit, options.redis_url, options.keyword)
        if not junit.exists():
            return code or 1
        print()
        print_table(summary_dir, outcomes(junit))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
