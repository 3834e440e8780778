"""The README's quickstart, run as written against a real gunicorn and Redis."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.gunicorn_server import ROOT, GunicornServer

pytestmark = pytest.mark.integration


def quickstart_block() -> str:
    """The shell block between the README's quickstart markers."""
    readme = (ROOT / "README.md").read_text()
    section = re.search(
        r"<!-- quickstart:begin -->\s*```sh\n(.*?)```\s*<!-- quickstart:end -->", readme, re.S
    )
    assert section, "README.md has no quickstart block"
    return section.group(1)


def _ignored_by_git(name: str) -> bool:
    """True when a file of this name at the repository's root is ignored by .gitignore."""
    checked = subprocess.run(
        ["git", "-C", str(ROOT), "check-ignore", "--quiet", "--no-index", name],
        capture_output=True,
        check=False,
    )
    assert checked.returncode in (0, 1), checked.stderr
    return checked.returncode == 0


@pytest.mark.timeout(120)
@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_readme_quickstart_runs_as_written(service_env: dict, tmp_path: Path) -> None:
    """Upload, submit, wait, result, CSV and contest: every command succeeds, the CSV is
    DraftKings', git ignores it where the quickstart leaves it (the working directory), and the
    contest of its lineups is accepted."""
    server = GunicornServer(tmp_path, service_env, app="webapp:create_app()", name="quickstart")
    server.start()
    workdir = tmp_path / "client"
    shutil.copytree(ROOT / "examples", workdir / "examples")
    try:
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", quickstart_block()],
            cwd=workdir,
            env={"PATH": "/usr/bin:/bin", "BASE": server.url},
            capture_output=True,
            text=True,
            timeout=90,
        )
    finally:
        server.stop()

    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}\n{server.log_text()[-3000:]}"
    (csv_file,) = workdir.glob("lineups-*.csv")
    if (ROOT / ".git").exists():  # a checkout, not a copy of the tree
        assert _ignored_by_git(csv_file.name), f"{csv_file.name} would show in `git status`"
    rows = csv_file.read_text().splitlines()
    assert rows[0] == "QB,RB,RB,WR,WR,WR,TE,FLEX,DST"
    salary_file = (workdir / "examples/DKSalaries_nfl.csv").read_text().splitlines()
    uploaded = {line.split(",")[3] for line in salary_file[1:]}
    assert len(rows) == 4 and all(set(row.split(",")) <= uploaded for row in rows[1:])
    assert '"slate_id":"example"' in done.stdout and '"projection"' in done.stdout
    assert '"contest_type":"showdown"' in done.stdout and '"slate_id":"mnf"' in done.stdout
    assert '"self":"/contests/' in done.stdout
    inline_submit = json.loads(done.stdout[done.stdout.rindex('{"run_id"') :])
    assert inline_submit["status"] == "pending"
