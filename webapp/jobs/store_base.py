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
        # The job scripts by source: `self._scripts[scripts.CLAIM](keys=..., args=...)` runs one.
        self._scripts = {source: client.register_script(source) for source in scripts.ALL}

    def _raise_missing(self, run_id: str) -> None:
        """Expired (tombstone left) or never existed: a second round trip, on misses only."""
        if self.redis.exists(self.keys.tombstone(run_id)):
            raise JobExpiredError(run_id)
        raise JobNotFoundError(run_id)
