"""What every part of JobStore shares: the Redis client, the key layout, the TTL rules and the
job scripts registered on that client (registering computes a digest; it sends nothing)."""

from __future__ import annotations

import redis

from webapp.jobs import scripts
from webapp.jobs.keys import Keys
from webapp.jobs.store_types import JobExpiredError, JobNotFoundError


class StoreBase:
    """The connection and rules of a JobStore; its reads and writes live in the parts."""

    def __init__(
        self,
        client: redis.Redis,
        keys: Keys,
        *,
        ttl_seconds: int,
        tombstone_ttl_seconds: int,
        lease_seconds: float,
        max_attempts: int,
    ) -> None:
        self.redis = client
        self.keys = keys
        self.ttl_seconds = ttl_seconds
        self.tombstone_ttl_seconds = max(tombstone_ttl_seconds, ttl_seconds + 1)
        self.lease_ms = int(lease_seconds * 1000)
        self.max_attempts = max_attempts
        self._submit = client.register_script(scripts.SUBMIT)
        self._withdraw = client.register_script(scripts.WITHDRAW)
        self._claim = client.register_script(scripts.CLAIM)
        self._progress = client.register_script(scripts.PROGRESS)
        self._checkpoint = client.register_script(scripts.CHECKPOINT)
        self._finish = client.register_script(scripts.FINISH)
        self._retry_later = client.register_script(scripts.RETRY_LATER)
        self._hand_back = client.register_script(scripts.HAND_BACK)
        self._heartbeat = client.register_script(scripts.HEARTBEAT)
        self._reclaim = client.register_script(scripts.RECLAIM)
        self._cancel = client.register_script(scripts.CANCEL)
        self._retry_failed = client.register_script(scripts.RETRY_FAILED)

    def _raise_missing(self, run_id: str) -> None:
        """Expired (tombstone left) or never existed: a second round trip, on misses only."""
        if self.redis.exists(self.keys.tombstone(run_id)):
            raise JobExpiredError(run_id)
        raise JobNotFoundError(run_id)
