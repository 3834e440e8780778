"""Fault matrix: run the fault tests and print what became of their jobs, one line a scenario.

Usage: .venv/bin/python bench/fault_matrix.py [--redis-url redis://127.0.0.1:6379/0] [-k EXPR]

Each fault test (tests/integration/test_faults_*.py) starts its own redis-server and gunicorn
processes; the Redis of --redis-url (TEST_REDIS_URL) only holds the tests' start counters. The
tests run with --runxfail, so a fault not fixed yet shows as `failed`. Each test writes its jobs'
fate to $FAULT_SUMMARY_DIR/<test>.json (tests/support/fault_summary.py); this script reads those
and pytest's JUnit report.
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
COLUMNS = ("scenario", "result", "accepted", "completed", "run twice", "lost", "statuses")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--redis-url", help="shared Redis for start counters (TEST_REDIS_URL)")
    parser.add_argument("-k", dest="keyword", help="only the scenarios matching this expression")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fault-matrix-") as tmp:
        summaries, junit = Path(tmp), Path(tmp) / "junit.xml"
        env = {**os.environ, "FAULT_SUMMARY_DIR": tmp}
        env.update({"TEST_REDIS_URL": options.redis_url} if options.redis_url else {})
        tests = sorted(
            str(p.relative_to(ROOT)) for p in ROOT.glob("tests/integration/test_faults_*.py")
        )
        args = [
            sys.executable,
            "-m",
            "pytest",
            *tests,
            "-q",
            "--runxfail",
            "-p",
            "no:cacheprovider",
            f"--junitxml={junit}",
        ]
        code = subprocess.call(args + (["-k", options.keyword] if options.keyword else []), cwd=ROOT, env=env)  # fmt: skip
        if not junit.exists():
            return code or 1
        rows = []
        for case in ElementTree.parse(junit).iter("testcase"):
            kinds = {child.tag for child in case}
            result = next((k for k in ("failure", "error", "skipped") if k in kinds), "passed")
            path = summaries / f"{case.get('name', '')}.json"
            summary = json.loads(path.read_text()) if path.exists() else {}
            counts = [
                str(summary.get(k, "-")) for k in ("accepted", "completed", "ran_twice", "lost")
            ]
            statuses = ",".join(f"{k}={v}" for k, v in summary.get("statuses", {}).items())
            rows.append((case.get("name", ""), result.replace("failure", "failed"), *counts,
                         statuses or summary.get("error", "-")))  # fmt: skip
    widths = [max(len(row[i]) for row in [COLUMNS, *rows]) for i in range(len(COLUMNS))]
    print()
    for row in [COLUMNS, *sorted(rows)]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
