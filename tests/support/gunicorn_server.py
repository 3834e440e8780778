"""Real gunicorn processes for tests: free port, own process group, log file, bounded waits."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from tests.support.processes import free_port, kill_group, port_answers, signal_group, start_group

ROOT = Path(__file__).resolve().parents[2]


class GunicornServer:
    """`gunicorn -c gunicorn.conf.py <app>` on 127.0.0.1:<free port>."""

    def __init__(
        self,
        directory: Path,
        env: dict[str, str],
        *,
        app: str = "tests.support.apps:create_scripted_app()",
        workers: int = 1,
        name: str = "gunicorn",
        ready_event: str | None = "job_runner_started",
    ) -> None:
        self.directory = directory
        self.port = free_port()
        self.app = app
        self.workers = workers
        self.ready_event = ready_event
        self.log_path = directory / f"{name}.log"
        self.env = {
            **{k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "LC_ALL"}},
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            "WEB_CONCURRENCY": str(workers),
            "LOG_FILE": "",
            "DRAIN_FLAG_FILE": str(directory / f"{name}.drain"),
            **env,
        }
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 20.0) -> GunicornServer:
        """Start and wait until /health answers (every worker booted is not guaranteed)."""
        args = [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(ROOT / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{self.port}",
            self.app,
        ]
        self.process = start_group(args, log_path=self.log_path, env=self.env, cwd=ROOT)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited early:\n{self.log_text()}")
            if port_answers(self.port) and self._health_ok():
                if self.ready_event:
                    self.wait_for_log(
                        self.ready_event, count=self.workers, timeout_s=deadline - time.monotonic()
                    )
                return self
            time.sleep(0.05)
        raise AssertionError(f"gunicorn did not start:\n{self.log_text()}")

    def _health_ok(self) -> bool:
        try:
            return requests.get(self.url + "/health", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_lines(self) -> list[dict[str, Any]]:
        """Every log line parsed as JSON (fails on a line that is not JSON)."""
        lines = []
        for raw in self.log_text().splitlines():
            if raw.strip():
                try:
                    lines.append(json.loads(raw))
                except json.JSONDecodeError as error:
                    raise AssertionError(f"not a JSON log line: {raw!r}") from error
        return lines

    def wait_for_log(self, event: str, *, count: int = 1, timeout_s: float = 10.0) -> list[dict]:
        """Wait until `count` JSON lines with this event were logged."""
        deadline = time.monotonic() + max(timeout_s, 0.1)
        while True:
            found = [line for line in self._parsed_lenient() if line.get("event") == event]
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                raise AssertionError(f"no {count}x {event!r} in log:\n{self.log_text()[-4000:]}")
            time.sleep(0.05)

    def _parsed_lenient(self) -> list[dict]:
        out = []
        for raw in self.log_text().splitlines():
            try:
                out.append(json.loads(raw))
            except json.JSONDecodeError:
                continue
        return out

    def signal(self, sig: int) -> None:
        """Send `sig` to the master only (as docker stop / kubelet do)."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, sig)

    def terminate(self) -> None:
        self.signal(signal.SIGTERM)

    def wait_exit(self, timeout_s: float) -> int:
        """Wait for the master to exit; returns its exit code."""
        assert self.process is not None
        return self.process.wait(timeout=timeout_s)

    def kill_all(self) -> None:
        """kill -9 the master and every worker."""
        if self.process is not None:
            signal_group(self.process, signal.SIGKILL)
            kill_group(self.process)

    def stop(self) -> None:
        """Make sure nothing of this server is left running."""
        if self.process is not None:
            if self.process.poll() is None:
                self.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(timeout=15)
            kill_group(self.process)
            self.process = None
