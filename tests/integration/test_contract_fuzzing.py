"""Schemathesis against the live service: no 5xx, no response that contradicts the document."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.gunicorn_server import GunicornServer

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    ]
)


@pytest.mark.timeout(240)
def test_schemathesis_finds_no_contract_violation(tmp_path: Path, service_env: dict) -> None:
    """A bounded, seeded schemathesis run (all phases, loopback only) passes every check."""
    server = GunicornServer(
        tmp_path, {**service_env, "JOB_WORKERS": "1"}, app="tests.support.apps:create_noop_app()"
    )
    server.start()
    try:
        run = subprocess.run(
            [
                str(Path(sys.executable).with_name("schemathesis")),
                "run",
                f"{server.url}/openapi.json",
                "--checks",
                CHECKS,
                "--max-examples",
                "25",
                "--seed",
                "20261122",
                "--request-timeout",
                "10",
            ],
            capture_output=True,
            text=True,
            timeout=200,
            cwd=tmp_path,  # schemathesis keeps its example database in the working directory
        )
    finally:
        server.stop()

    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-2000:]
    assert "passed" in run.stdout
