"""What operators read and repair (job lists, purge, retry of a failed job) and the workers'
presence hash: the parts of JobStore the dashboard, the CLI and `python -m webapp.drain` use."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from webapp.clock import now_iso
from webapp.jobs import scripts
from webapp.jobs.record import JobRecord
from webapp.jobs.states import JobStatus, TransitionRefusedError
from webapp.jobs.store_reads import JobReads

# How many records one pipelined read asks for at once.
READ_BATCH = 500


class AdminOps(JobReads):
    """Operator reads and repairs, safe while the service runs (same compare-and-set rules)."""

    def run_ids(self, status: JobStatus | None, limit: int) -> Iterator[str]:
        """Ids of jobs in `status` (pending/running: oldest first, up to `limit`; None: every
        record, by SCAN)."""
        if status in (JobStatus.PENDING, JobStatus.RUNNING):
            queue = self.keys.pending if status is JobStatus.PENDING else self.keys.leases
            yield from (r.decode() for r in self.redis.zrange(queue, 0, limit - 1))
            return
        prefix = self.keys.job_prefix
        for key in self.redis.scan_iter(match=self.keys.job_pattern(), count=1000):
            name = key.decode()[len(prefix) :]
            if ":" not in name:  # skip :result and :checkpoint keys
                yield name

    def read_fields(
        self, run_ids: Iterable[str], fields: Sequence[str]
    ) -> Iterator[list[bytes | None]]:
        """`fields` of each job's record, in order (None where missing), read in batches."""
        batch: list[str] = []
        for run_id in run_ids:
            batch.append(run_id)
            if len(batch) >= READ_BATCH:
                yield from self._read_batch(batch, fields)
                batch = []
        if batch:
            yield from self._read_batch(batch, fields)

    def _read_batch(self, run_ids: list[str], fields: Sequence[str]) -> list[list[bytes | None]]:
        with self.redis.pipeline(transaction=False) as pipe:
            for run_id in run_ids:
                pipe.hmget(self.keys.job(run_id), fields)
            return pipe.execute()

    def lease_expiry_ms(self, run_id: str) -> float | None:
        """When the job's running lease runs out (Redis clock, ms), or None without a lease."""
        return self.redis.zscore(self.keys.leases, run_id)

    def has_result(self, run_id: str) -> bool:
        """True while the job's result is stored."""
        return bool(self.redis.exists(self.keys.result(run_id)))

    def lease_owners(self) -> list[str]:
        """The owner (host:pid) of every job holding a lease; empty strings for records gone."""
        run_ids = self.redis.zrange(self.keys.leases, 0, -1)
        with self.redis.pipeline(transaction=False) as pipe:
            for run_id in run_ids:
                pipe.hget(self.keys.job(run_id.decode()), "owner")
            return [owner.decode() if owner else "" for owner in pipe.execute()]

    def purge(self) -> dict[str, int]:
        """Delete tombstones of expired jobs and queue/lease entries whose record is gone."""
        removed = {"tombstones": 0, "pending_entries": 0, "lease_entries": 0}
        prefix = self.keys.tombstone_prefix
        for key in self.redis.scan_iter(match=f"{prefix}*", count=1000):
            if not self.redis.exists(self.keys.job(key.decode()[len(prefix) :])):
                removed["tombstones"] += self.redis.delete(key)
        for queue, counter in (
            (self.keys.pending, "pending_entries"),
            (self.keys.leases, "lease_entries"),
        ):
            for member in self.redis.zrange(queue, 0, -1):
                if not self.redis.exists(self.keys.job(member.decode())):
                    removed[counter] += self.redis.zrem(queue, member)
        return removed

    def retry_failed(self, run_id: str) -> JobRecord:
        """Queue a failed job again (an operator's retry); refused unless it is failed.

        Outside the runner's state table on purpose: only an operator sends a failed job back.
        Its attempts keep counting, so a crash budget already spent is not renewed."""
        keys = self.keys
        done = self._scripts[scripts.RETRY_FAILED](
            keys=[keys.job(run_id), keys.pending, keys.wake, keys.tombstone(run_id)],
            args=[now_iso(), run_id, self.ttl_seconds, self.tombstone_ttl_seconds],
        )
        if done != 1:
            if not done:
                self._raise_missing(run_id)
            raise TransitionRefusedError(done.decode(), JobStatus.PENDING)
        return self.get(run_id)

    # ------------------------------------------------------------------ worker presence

    def write_presence(self, owner: str, document: bytes) -> None:
        """Store a worker process's heartbeat document under its owner id."""
        self.redis.hset(self.keys.workers, owner, document)

    def presence(self) -> dict[str, bytes]:
        """Every worker's last heartbeat document, by owner id."""
        return {owner.decode(): doc for owner, doc in self.redis.hgetall(self.keys.workers).items()}

    def forget_workers(self, *owners: str) -> None:
        """Drop the heartbeats of these workers."""
        if owners:
            self.redis.hdel(self.keys.workers, *owners)
