"""The Dockerfile's commands run outside Docker (no engine here): lint, install, CMD, check."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.support.processes import free_port, kill_group, port_answers, start_group
from webapp.jobs import scripts

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def _exec_form(instruction: str) -> list[str]:
    """The JSON exec form after CMD on the last line starting with `instruction`."""
    joined = DOCKERFILE.replace("\\\n", " ")
    line = [ln for ln in joined.splitlines() if ln.startswith(instruction)][-1]
    return json.loads(re.search(r"CMD (\[.*\])", line).group(1))


def test_dockerfile_passes_hadolint() -> None:
    """hadolint finds nothing at warning level or above."""
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))

    run = subprocess.run(
        [hadolint, "--failure-threshold", "warning", "Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )

    assert run.returncode == 0, run.stdout + run.stderr


def test_dockerfile_runs_gunicorn_as_pid_1_with_sigterm() -> None:
    """Exec-form CMD starting gunicorn with gunicorn.conf.py, SIGTERM as stop signal, non-root."""
    assert _exec_form("CMD")[:3] == ["gunicorn", "-c", "gunicorn.conf.py"]
    assert "STOPSIGNAL SIGTERM" in DOCKERFILE
    assert re.search(r"^USER (?!root|0)", DOCKERFILE, re.MULTILINE)
    assert _exec_form("HEALTHCHECK") == ["python", "-m", "webapp.healthcheck"]


def test_dockerfile_installs_the_runtime_lock_with_hashes() -> None:
    """The image takes its dependencies from the lock, hashes checked, and builds the project
    with the locked setuptools instead of whatever the registry serves at build time."""
    joined = DOCKERFILE.replace("\\\n", " ")

    assert "COPY requirements/runtime.lock /tmp/runtime.lock" in joined
    assert re.search(r"pip install [^\n]*--require-hashes -r /tmp/runtime.lock", joined)
    assert re.search(r"pip install [^\n]*--no-deps --no-build-isolation \.", joined)
    assert "requirements-from-pyproject" not in joined


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_install_cmd_and_healthcheck_in_a_fresh_venv(tmp_path: Path, real_redis) -> None:
    """The image's install steps work in a fresh venv, its CMD serves, and its HEALTHCHECK
    command exits 0 against the live server and 1 once it is gone."""
    from tests.conftest import SHARED_REDIS_URL

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    pip = [python, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    lock = ROOT / "requirements" / "runtime.lock"
    subprocess.run([*pip, "--require-hashes", "-r", str(lock)], check=True, timeout=480)
    subprocess.run(
        [*pip, "--no-deps", "--no-build-isolation", str(ROOT)],
        check=True,
        timeout=120,
        cwd=tmp_path,
    )

    port = free_port()
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    shutil.copy(ROOT / "gunicorn.conf.py", app_dir)
    env = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "PORT": str(port),
        "REDIS_URL": SHARED_REDIS_URL,
        "LOG_FILE": str(app_dir / "var" / "log" / "webapp.log"),
        "DRAIN_FLAG_FILE": str(app_dir / "var" / "run" / "draining"),
        "REDIS_KEY_PREFIX": "dockertest",
    }
    command = [str(venv / "bin" / _exec_form("CMD")[0]), *_exec_form("CMD")[1:]]
    server = start_group(command, log_path=tmp_path / "server.log", env=env, cwd=app_dir)
    healthcheck = [python, *_exec_form("HEALTHCHECK")[1:]]
    try:
        deadline = time.monotonic() + 30
        while not port_answers(port) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert requests.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200
        healthy = subprocess.run(healthcheck, env=env, cwd=app_dir, timeout=10)
    finally:
        kill_group(server)
    unhealthy = subprocess.run(healthcheck, env=env, cwd=app_dir, timeout=10)
    # The installed package, not this checkout, must carry the job scripts (package data).
    load_scripts = "from webapp.jobs import scripts; print(len([s.source() for s in scripts.ALL]))"
    loaded = subprocess.run(
        [python, "-c", load_scripts], env=env, cwd=app_dir, capture_output=True, text=True
    )

    assert healthy.returncode == 0
    assert unhealthy.returncode == 1
    assert (app_dir / "var" / "log" / "webapp.log").exists()
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == str(len(scripts.ALL))
