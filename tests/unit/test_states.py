"""The job statuses and which of them are final."""

from __future__ import annotations

import pytest

from webapp.jobs.states import TERMINAL, JobStatus


@pytest.mark.parametrize(
    ("status", "is_terminal"),
    [
        (JobStatus.PENDING, False),
        (JobStatus.RUNNING, False),
        (JobStatus.COMPLETE, True),
        (JobStatus.FAILED, True),
        (JobStatus.EXPIRED, True),
    ],
    ids=str,
)
def test_only_ended_jobs_are_terminal(status: JobStatus, is_terminal: bool) -> None:
    """complete, failed and expired are terminal; pending and running are not."""
    assert (status in TERMINAL) is is_terminal


def test_statuses_read_as_their_stored_names() -> None:
    """A status compares equal to the string the record stores."""
    assert [str(s) for s in JobStatus] == ["pending", "running", "complete", "failed", "expired"]
