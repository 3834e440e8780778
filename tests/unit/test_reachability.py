"""What a process has seen of Redis: when it may reclaim other processes' jobs."""

from __future__ import annotations

import pytest
import redis

from webapp.jobs.durability import WaitPolicy
from webapp.jobs.errors import JobVanishedError, ReplicationTimeoutError
from webapp.jobs.events import NO_EVENTS
from webapp.jobs.reachability import Reachability

LEASE_S = 2.0


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_a_new_process_is_not_steady_before_its_first_answer(clock: Clock) -> None:
    """Just started, a process knows nothing of the time before: not steady, however long it
    has been running without asking Redis."""
    seen = Reachability(LEASE_S, clock)
    clock.now += 10 * LEASE_S

    assert not seen.is_steady()


def test_steady_one_and_a_half_leases_after_the_first_answer(clock: Clock) -> None:
    """From its first answer a new process waits as long as one that saw trouble."""
    seen = Reachability(LEASE_S, clock)
    seen.took(clock.now)

    clock.now += 1.5 * LEASE_S - 0.01
    assert not seen.is_steady()
    clock.now += 0.01
    assert seen.is_steady()


def test_trouble_starts_the_wait_again(clock: Clock) -> None:
    """An error after a steady stretch: not steady until 1.5 leases after the next answer."""
    seen = Reachability(LEASE_S, clock)
    seen.took(clock.now)
    clock.now += 2 * LEASE_S
    seen.trouble()
    seen.took(clock.now)

    assert not seen.is_steady()


@pytest.mark.parametrize(
    "error",
    [ReplicationTimeoutError(0, WaitPolicy(1, 100)), JobVanishedError("r1")],
    ids=["replication_timeout", "vanished"],
)
def test_writes_worth_trying_again_are_absorbed_without_trouble(
    clock: Clock, error: Exception
) -> None:
    """Too few replicas yet, or a job its owner is writing back: retried, and Redis still
    counts as reachable."""
    seen = Reachability(LEASE_S, clock)
    seen.took(clock.now)
    clock.now += 2 * LEASE_S

    seen.absorb(error, NO_EVENTS)

    assert seen.is_steady()


def test_a_transient_redis_error_is_absorbed_as_trouble(clock: Clock) -> None:
    """Redis out of reach: retried, and counted as trouble."""
    seen = Reachability(LEASE_S, clock)
    seen.took(clock.now)
    clock.now += 2 * LEASE_S

    seen.absorb(redis.ConnectionError("refused"), NO_EVENTS)

    assert not seen.is_steady()


def test_any_other_error_is_raised() -> None:
    """A bug is not retried."""
    with pytest.raises(RuntimeError):
        Reachability(LEASE_S).absorb(RuntimeError("bug"), NO_EVENTS)
