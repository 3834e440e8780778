"""A job kind whose compute runs in a child process, steered by the request's slate_id.

slate_id            what the compute child does
burn:<seconds>      spins the CPU for that long, reporting progress in phase "burning:<pid>"
steps:<n>:<sec>     n steps of <sec> seconds of CPU each, saving a checkpoint after every step
                    and resuming after the last saved one; the result lists the steps this
                    attempt ran (`ran`) and where it started (`resumed_from`)
alloc:<mb>          grows its memory by 20 MB every 50 ms up to <mb>, then completes
die-once:<dir>      kills itself with SIGKILL on its first run (a marker file in <dir>), then
                    completes
fail                fails with a message
raise               raises an unexpected error
anything else       completes at once with the input's slate_id
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

from webapp.compute.kind import ProcessKind
from webapp.jobs.errors import JobFailedError
from webapp.jobs.kinds import JobKinds


def _burn(seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        sum(range(10_000))


def compute_scripted(payload: dict[str, Any], context: Any) -> dict[str, Any]:
    """The compute part (runs in the child)."""
    script = payload["slate_id"]
    what, _, rest = script.partition(":")
    if what == "burn":
        seconds = float(rest)
        started = time.monotonic()
        while (done := time.monotonic() - started) < seconds:
            _burn(0.05)
            context.progress(min(done / seconds, 1.0), f"burning:{os.getpid()}")
    elif what == "steps":
        return _steps(int(rest.split(":")[0]), float(rest.split(":")[1]), context)
    elif what == "alloc":
        held = []
        while len(held) * 20 < int(rest):
            held.append(bytearray(20 * 2**20))  # zero-filled: every page touched
            time.sleep(0.05)
    elif what == "die-once":
        marker = Path(rest) / "died"
        if not marker.exists():
            marker.write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
    elif what == "fail":
        raise JobFailedError("scripted failure in the compute process", "scripted")
    elif what == "raise":
        raise ValueError("scripted bug")
    return {"lineups": [], "script": script, "pid": os.getpid()}


def _steps(n: int, seconds: float, context: Any) -> dict[str, Any]:
    state = context.checkpoint.load() or {"done": 0}
    start = int(state["done"])
    for step in range(start, n):
        _burn(seconds)
        context.checkpoint.save({"done": step + 1})
        context.progress((step + 1) / n, "steps")
    return {"lineups": [], "resumed_from": start, "ran": n - start}


def prepare_scripted(job_input: dict[str, Any]) -> dict[str, Any]:
    """The thread's part: pass the script on."""
    return {"slate_id": job_input.get("slate_id") or ""}


def compute_kinds() -> JobKinds:
    """A registry whose `optimize` kind computes in a child process as its slate_id says."""
    kinds = JobKinds()
    kinds.register("optimize", ProcessKind(prepare=prepare_scripted, compute=compute_scripted))
    return kinds
