"""What the service reads from INFO: replicas and eviction risk (pure parsing)."""

from __future__ import annotations

import pytest

from webapp.clients.redis_facts import Replication, eviction_risk, replication_of


@pytest.mark.parametrize(
    ("maxmemory", "policy", "risky"),
    [
        (0, "allkeys-lru", False),
        (0, "volatile-lru", False),
        (1024, "noeviction", False),
        (1024, "volatile-lru", True),
        (1024, "volatile-ttl", True),
        (1024, "volatile-lfu", True),
        (1024, "volatile-random", True),
        (1024, "allkeys-lru", True),
        (1024, "allkeys-random", True),
    ],
)
def test_eviction_risk(maxmemory: int, policy: str, risky: bool) -> None:
    """With maxmemory set, every policy but noeviction is a risk, and the reason names it."""
    reason = eviction_risk({"maxmemory": maxmemory, "maxmemory_policy": policy})

    assert (reason is not None) is risky
    if reason:
        assert policy in reason and "noeviction" in reason


def test_replication_of_a_primary() -> None:
    """Connected replicas are listed; one not yet in sync says its state."""
    info = {
        "role": "master",
        "connected_slaves": 2,
        "slave0": {"ip": "10.0.0.2", "port": 6379, "state": "online"},
        "slave1": {"ip": "10.0.0.3", "port": 6380, "state": "wait_bgsave"},
    }

    assert replication_of(info) == Replication(
        role="master", replicas=("10.0.0.2:6379", "10.0.0.3:6380 (wait_bgsave)")
    )


def test_replication_of_a_replica() -> None:
    """A replica reports its role and no replicas."""
    assert replication_of({"role": "slave"}) == Replication(role="slave", replicas=())
