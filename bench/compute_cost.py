"""The cost of the process boundary per job: what running a job's compute in a child process adds
to running it on the job thread (`python -m bench compute`).

Measured in this process, no servers: a new child's first job (the fork from the forkserver and
its first pipe round trip), a job on a kept child that does nothing, and the 20-lineup exact job of
`bench jobs` (a 76-player slate) and a 150-lineup one on a 460-player slate, each run on the thread
and through a child, alternating; medians over `--rounds`.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from bench.slates import nfl_slate
from bench.work import optimize_body
from webapp.compute.kind import ProcessKind
from webapp.compute.supervisor import ComputeLimits, ComputeProcesses
from webapp.lineups.job import make_optimize_job


class _Context:
    """What a job thread's context offers, writing nowhere."""

    run_id = "bench"

    class checkpoint:
        load = staticmethod(lambda: None)
        save = keep = staticmethod(lambda state: None)
        save_if_due = flush = staticmethod(lambda: None)

    def progress(self, fraction: float, phase: str = "") -> None: ...

    def raise_if_cancelled(self) -> None: ...

    def raise_if_not_owned(self) -> None: ...


def nothing(payload: Any, context: Any) -> dict:
    """A compute function that does no work."""
    return {}


def _median_ms(run, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def run(args: Any, tmp: Path) -> None:
    context, rounds = _Context(), args.rounds
    optimize = make_optimize_job(None)
    empty = ProcessKind(prepare=lambda job_input: {}, compute=nothing)
    small = optimize_body(seed=1)
    large = {**optimize_body(seed=2), "n_lineups": 150, "players": nfl_slate(seed=2)}
    limits = ComputeLimits()
    print(f"process boundary, medians of {rounds} rounds (ms):")
    fresh = ComputeProcesses(limits, preload=["webapp.lineups.job"])
    fresh.warm_up()
    fresh.stop_all()

    def new_child() -> None:
        processes = ComputeProcesses(limits)
        processes.run(empty, {}, context)
        processes.stop_all()

    print(f"  a new child's first job (fork, pipe, stop)  {_median_ms(new_child, rounds):8.2f}")
    kept = ComputeProcesses(limits, preload=["webapp.lineups.job"])
    kept.run(optimize, small, context)  # the child's imports and caches, as in a running worker
    empty_ms = _median_ms(lambda: kept.run(empty, {}, context), rounds)
    print(f"  an empty job on a kept child               {empty_ms:8.2f}")
    for name, body in (("20 lineups, 76 players", small), ("150 lineups, 460 players", large)):
        optimize(body, context)
        kept.run(optimize, body, context)
        here, child = [], []
        for _ in range(rounds):  # alternating, so a change in the machine's load hits both
            here.append(_median_ms(lambda body=body: optimize(body, context), 1))
            child.append(_median_ms(lambda body=body: kept.run(optimize, body, context), 1))
        here_ms, child_ms = statistics.median(here), statistics.median(child)
        print(
            f"  {name:26} thread {here_ms:8.1f}  child {child_ms:8.1f}  boundary {child_ms - here_ms:+7.1f}"
        )
    kept.stop_all()
