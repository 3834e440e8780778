"""The state machine table."""

from __future__ import annotations

import itertools

import pytest

from webapp.jobs.states import (
    TERMINAL,
    TRANSITIONS,
    JobStatus,
    TransitionRefusedError,
    check_transition,
    is_allowed,
)

ALLOWED = {
    (JobStatus.PENDING, JobStatus.RUNNING),
    (JobStatus.RUNNING, JobStatus.COMPLETE),
    (JobStatus.RUNNING, JobStatus.FAILED),
    (JobStatus.RUNNING, JobStatus.PENDING),
}
PAIRS = list(itertools.product(JobStatus, JobStatus))


@pytest.mark.parametrize(("current", "new"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_transition_allowed_exactly_when_listed(current: JobStatus, new: JobStatus) -> None:
    """Every (from, to) pair is allowed if and only if it is one of the four lifecycle edges."""
    expected = (current, new) in ALLOWED

    assert is_allowed(current, new) is expected
    if expected:
        check_transition(current, new)
    else:
        with pytest.raises(TransitionRefusedError):
            check_transition(current, new)


def test_terminal_states_have_no_way_out() -> None:
    """complete, failed and expired are terminal; pending and running are not."""
    assert {JobStatus.COMPLETE, JobStatus.FAILED, JobStatus.EXPIRED} == TERMINAL
    assert all(not TRANSITIONS[status] for status in TERMINAL)


def test_table_is_read_only() -> None:
    """The table cannot be changed at run time."""
    with pytest.raises(TypeError):
        TRANSITIONS[JobStatus.COMPLETE] = frozenset({JobStatus.PENDING})  # type: ignore[index]
