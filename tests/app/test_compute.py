"""Compute children on their own: results, failures, crashes, limits and cancels (fakeredis store,
real child processes from a forkserver)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import valid_players
from tests.support.compute_kinds import compute_kinds
from tests.support.processes import compute_children
from tests.support.waiting import wait_until
from webapp.compute.supervisor import ComputeError, ComputeLimits, ComputeProcesses
from webapp.jobs import service
from webapp.jobs.context import JobCancelledError, JobContext
from webapp.jobs.errors import ComputeCrashedError, JobFailedError
from webapp.jobs.store import JobStore

KIND = compute_kinds()["optimize"]


@pytest.fixture
def compute() -> ComputeProcesses:
    processes = ComputeProcesses(ComputeLimits(timeout_s=30, memory_mb=1024))
    yield processes
    processes.stop_all()


def _claimed(store: JobStore, slate_id: str) -> JobContext:
    run_id = service.submit(store, {"slate_id": slate_id, "players": valid_players()}).run_id
    claim = store.claim_next("owner")
    assert claim.record.run_id == run_id
    return JobContext(store, claim)


def _run(compute: ComputeProcesses, context: JobContext, slate_id: str):
    return compute.run(KIND, {"slate_id": slate_id}, context)


def test_result_and_progress_come_back_from_the_child(
    compute: ComputeProcesses, store: JobStore
) -> None:
    """The child's result is returned and its progress reaches the job record."""
    context = _claimed(store, "burn:0.6")

    result = _run(compute, context, "burn:0.6")

    assert result["script"] == "burn:0.6"
    assert result["pid"] in compute_children(os.getpid())
    record = store.get(context.run_id)
    assert record.phase == f"burning:{result['pid']}" and record.progress > 0


def test_a_child_runs_the_next_job_of_its_slot(compute: ComputeProcesses, store: JobStore) -> None:
    """A child that answered is kept: the next job runs in the same process, and a failed job
    (an answer too) does not cost the child either."""
    first = _run(compute, _claimed(store, "noop"), "noop")
    with pytest.raises(JobFailedError):
        _run(compute, _claimed(store, "fail"), "fail")
    second = _run(compute, _claimed(store, "noop"), "noop")

    assert first["pid"] == second["pid"]
    assert compute_children(os.getpid()) == [first["pid"]]


def test_a_failure_and_a_bug_in_the_child_are_told_apart(
    compute: ComputeProcesses, store: JobStore
) -> None:
    """JobFailedError keeps its message and code; an unexpected error comes with its traceback."""
    with pytest.raises(JobFailedError) as failed:
        _run(compute, _claimed(store, "fail"), "fail")
    with pytest.raises(ComputeError) as bug:
        _run(compute, _claimed(store, "raise"), "raise")

    assert failed.value.code == "scripted"
    assert "ValueError: scripted bug" in str(bug.value)
    assert "compute_scripted" in bug.value.details


def test_a_child_killed_by_a_signal_is_a_crash(
    compute: ComputeProcesses, store: JobStore, tmp_path: Path
) -> None:
    """SIGKILL of the child (as the OOM killer sends) raises ComputeCrashedError naming the
    signal; the next run of the same job in a new child completes."""
    script = f"die-once:{tmp_path}"

    with pytest.raises(ComputeCrashedError, match="signal 9"):
        _run(compute, _claimed(store, script), script)
    again = _run(compute, _claimed(store, script), script)

    assert again["script"] == script
    assert again["pid"] != int((tmp_path / "died").read_text())


@pytest.mark.slow
def test_a_child_past_its_time_limit_is_stopped(store: JobStore) -> None:
    """Past timeout_s the child is killed and the attempt fails as timed_out, not when the
    job would have ended."""
    compute = ComputeProcesses(ComputeLimits(timeout_s=0.5, memory_mb=1024))
    started = time.monotonic()

    with pytest.raises(JobFailedError) as failed:
        _run(compute, _claimed(store, "burn:20"), "burn:20")
    compute.stop_all()

    assert failed.value.code == "timed_out"
    assert time.monotonic() - started < 5
    assert compute_children(os.getpid()) == []


@pytest.mark.slow
def test_a_child_past_its_memory_limit_is_stopped(store: JobStore) -> None:
    """A child whose resident memory passes memory_mb is killed: out_of_memory."""
    compute = ComputeProcesses(ComputeLimits(timeout_s=30, memory_mb=150))

    with pytest.raises(JobFailedError) as failed:
        _run(compute, _claimed(store, "alloc:1000"), "alloc:1000")
    compute.stop_all()

    assert failed.value.code == "out_of_memory"
    assert "JOB_MEMORY_LIMIT_MB=150" in str(failed.value)
    assert compute_children(os.getpid()) == []


def test_a_cancelled_job_stops_its_child_within_a_second(
    compute: ComputeProcesses, store: JobStore
) -> None:
    """DELETE of the job (the store's cancel) while its child computes: the run raises
    JobCancelledError and the child is gone within a second."""
    context = _claimed(store, "burn:30")
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            _run(compute, context, "burn:30")
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    phase = wait_until(lambda: store.get(context.run_id).phase, 10, 0.02, "no progress")
    child = int(phase.split(":")[1])
    store.cancel(context.run_id, "cancelled by the client")
    cancelled = time.monotonic()
    thread.join(5)

    assert isinstance(outcome[0], JobCancelledError)
    assert time.monotonic() - cancelled < 1.5
    assert child not in compute_children(os.getpid())


def test_checkpoints_are_written_on_a_cadence_and_flushed(
    compute: ComputeProcesses, store: JobStore
) -> None:
    """The child sends a save at most once a second and the thread keeps the latest; it reaches
    Redis when flushed, and the next attempt's child starts from it."""
    script = "steps:2:1.1"  # a save after 1.1 s and after 2.2 s: both sent
    context = _claimed(store, script)

    first = _run(compute, context, script)
    context.checkpoint.flush()

    assert first == {"lineups": [], "resumed_from": 0, "ran": 2}
    assert store.load_checkpoint(context.run_id) == {"done": 2}
    assert _run(compute, context, script)["resumed_from"] == 2
