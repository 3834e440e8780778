"""Reads of job state (records, results, queue figures) and the status-change notices that
long-polling reads wait on: the read side of JobStore, one pipelined round trip each."""

from __future__ import annotations

from typing import Any

from webapp.jobs.keys import NOTIFY_TTL_MS
from webapp.jobs.record import STATUS_FIELDS, JobRecord, decode_blob
from webapp.jobs.states import JobStatus
from webapp.jobs.store_base import StoreBase
from webapp.jobs.store_types import JobExpiredError, QueueStats


class JobReads(StoreBase):
    """Reads of job records, results and queue figures, and status-change notices."""

    def get(self, run_id: str, *, with_input: bool = True) -> JobRecord:
        """The job record; JobExpiredError or JobNotFoundError when there is none. Without
        `with_input` the input is neither read nor decoded (the record's input is empty)."""
        key = self.keys.job(run_id)
        if with_input:
            raw = self.redis.hgetall(key)
        else:
            values = self.redis.hmget(key, STATUS_FIELDS)
            raw = {f: v for f, v in zip(STATUS_FIELDS, values, strict=True) if v is not None}
        if not raw:
            self._raise_missing(run_id)
        return JobRecord.from_hash(raw)

    def owns(self, run_id: str, token: str) -> bool:
        """True while the attempt holding `token` owns the job (not ended, handed back or
        reclaimed): what a silent compute process's thread checks."""
        return self.redis.hget(self.keys.job(run_id), "claim") == token.encode()

    def get_result(self, run_id: str) -> tuple[JobRecord, Any]:
        """The record and, when complete, the decoded result (None otherwise)."""
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(self.keys.job(run_id))
            pipe.get(self.keys.result(run_id))
            raw, result_blob = pipe.execute()
        if not raw:
            self._raise_missing(run_id)
        record = JobRecord.from_hash(raw)
        if record.status is JobStatus.COMPLETE and result_blob is None:
            # The result key expired a moment before the record: report the job as expired.
            raise JobExpiredError(run_id)
        return record, decode_blob(result_blob)

    def queue_stats(self) -> QueueStats:
        """Pending count, running count and the age of the oldest pending job (global)."""
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.zcard(self.keys.pending)
            pipe.zcard(self.keys.leases)
            pipe.zrange(self.keys.pending, 0, 0, withscores=True)
            pipe.time()
            pending, running, oldest, (seconds, micros) = pipe.execute()
        age = None
        if oldest:
            now_ms = seconds * 1000 + micros / 1000
            age = max(0.0, (now_ms - oldest[0][1]) / 1000)
        return QueueStats(pending=pending, running=running, oldest_pending_age_s=age)

    def load_checkpoint(self, run_id: str) -> Any:
        """The last saved resume state, or None."""
        return decode_blob(self.redis.get(self.keys.checkpoint(run_id)))

    def wait_for_notice(self, run_id: str, timeout_s: float) -> bool:
        """Block up to timeout_s for a status-change notice of the job; True when one came."""
        notice = self.redis.blpop([self.keys.notify(run_id)], timeout=max(timeout_s, 0.01))
        return notice is not None

    def pass_notice(self, run_id: str) -> None:
        """Leave a notice for the next waiter: a BLPOP wakes only one, so each passes it on."""
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.lpush(self.keys.notify(run_id), "1")
            pipe.ltrim(self.keys.notify(run_id), 0, 0)
            pipe.pexpire(self.keys.notify(run_id), NOTIFY_TTL_MS)
            pipe.execute()
