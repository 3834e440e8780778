"""The per-instance directory of prometheus-client's multiprocess mode, for gunicorn's hooks.

prometheus-client picks its storage when it is first imported, from PROMETHEUS_MULTIPROC_DIR, so
the master sets the variable before any worker imports it (workers inherit it at fork). Files
left by an earlier run would be summed into this one's counters, so the directory is emptied at
start. A worker that dies leaves its counter files (their counts still happened); only its live
gauge files are dropped (`mark_process_dead`). Imports nothing of prometheus-client at module level.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import MutableMapping
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare(environ: MutableMapping[str, str] = os.environ) -> tuple[Path, bool]:
    """Use PROMETHEUS_MULTIPROC_DIR (emptied) or a fresh temp dir; return it and whether we
    created it (then `cleanup` removes it at exit)."""
    configured = environ.get(ENV)
    if configured:
        path, created = Path(configured), False
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink(missing_ok=True)
    else:
        path, created = Path(tempfile.mkdtemp(prefix="webapp-metrics-")), True
        environ[ENV] = str(path)
    # Imported now that the variable is set (so in multiprocess mode): `worker_gone` then
    # costs no import (~0.1 s) in the master while it shuts down, and workers inherit it.
    from prometheus_client import multiprocess  # noqa: F401

    return path, created


def worker_gone(pid: int) -> None:
    """Drop the live-gauge files of a worker that exited (counters and histograms stay)."""
    if os.environ.get(ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


def cleanup(path: Path, created: bool) -> None:
    """Remove the directory at instance exit if `prepare` created it."""
    if created:
        shutil.rmtree(path, ignore_errors=True)


def is_multiprocess() -> bool:
    """True when this process stores its metrics in the shared directory."""
    return bool(os.environ.get(ENV))
