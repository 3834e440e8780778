"""JobStore: the only code that talks to Redis about jobs.

Every status change runs one Lua script from `scripts` (atomic compare-and-set plus its
companion writes, one round trip); reads are single pipelined round trips. See `keys.py` for the
key layout and `states.py` for the transitions these scripts enforce. The store is assembled from
parts, one per concern: this module the queue (submit, claim, cancel), `store_attempts` the
writes of a running attempt, `store_leases` heartbeat and recovery, `store_reads` the reads,
`store_admin` what operators use.
"""

from __future__ import annotations

from webapp.clock import now_iso
from webapp.jobs import scripts
from webapp.jobs.durability import ReplicationTimeoutError, WaitPolicy
from webapp.jobs.keys import NOTIFY_SUFFIX
from webapp.jobs.record import JobRecord
from webapp.jobs.states import JobStatus, TransitionRefusedError
from webapp.jobs.store_admin import AdminOps
from webapp.jobs.store_attempts import AttemptWrites
from webapp.jobs.store_leases import Leases
from webapp.jobs.store_types import (
    Claim,
    IdempotencyConflictError,
    JobExpiredError,
    JobNotFoundError,
    QueueStats,
    Submission,
    body_digest,
    new_claim_token,
)

__all__ = [
    "Claim",
    "IdempotencyConflictError",
    "JobExpiredError",
    "JobNotFoundError",
    "JobStore",
    "QueueStats",
    "Submission",
    "body_digest",
    "new_claim_token",
]


class JobStore(AttemptWrites, Leases, AdminOps):
    """Job records, results, the pending queue and the running leases in Redis."""

    def submit(
        self,
        record: JobRecord,
        idempotency_key: str | None = None,
        *,
        user_id: str | None = None,
        wait: WaitPolicy | None = None,
        request: object = None,
    ) -> Submission:
        """Store a new pending job and queue it, atomically; honour an Idempotency-Key (scoped
        to `user_id` when given) for `request`, the request as sent (default: the input).
        With `wait`, WAIT on the same connection until that many
        replicas hold the job; if they do not in time, withdraw it (still pending) and raise
        ReplicationTimeoutError, so an unconfirmed job is never acknowledged."""
        # The body digest only matters when an Idempotency-Key ties this body to a run.
        sent = record.input if request is None else request
        digest = body_digest(sent) if idempotency_key else ""
        idem_key = self.keys.idempotency(idempotency_key, user_id) if idempotency_key else ""
        fields = [item for pair in record.to_hash().items() for item in pair]
        keys = [
            self.keys.job(record.run_id),
            self.keys.tombstone(record.run_id),
            self.keys.pending,
            self.keys.wake,
            idem_key,
        ]
        args = [self.tombstone_ttl_seconds, digest, record.run_id, *fields]
        acked = 0
        if wait is None or wait.replicas <= 0:
            outcome, value = self._scripts[scripts.SUBMIT](keys=keys, args=args)
        else:
            # WAIT counts the writes of its own connection: one pipeline keeps both on one.
            with self.redis.pipeline(transaction=False) as pipe:
                self._scripts[scripts.SUBMIT](keys=keys, args=args, client=pipe)
                pipe.wait(wait.replicas, wait.timeout_ms)
                (outcome, value), acked = pipe.execute()
        if outcome == b"idempotent":
            run_id, stored_digest = value.decode().split("\n", 1)
            if stored_digest != digest:
                raise IdempotencyConflictError()
            return Submission(run_id=run_id, created=False)
        if outcome == b"created" and wait is not None and acked < wait.replicas:
            self._withdraw_unconfirmed(record.run_id, idem_key, acked, wait)
        return Submission(run_id=value.decode(), created=outcome == b"created")

    def _withdraw_unconfirmed(
        self, run_id: str, idem_key: str, acked: int, wait: WaitPolicy
    ) -> None:
        keys = [self.keys.job(run_id), self.keys.tombstone(run_id), self.keys.pending, idem_key]
        if self._scripts[scripts.WITHDRAW](keys=keys, args=[run_id]):
            raise ReplicationTimeoutError(acked, wait)
        # Already claimed: a process runs it, so it stands as accepted.

    def claim_next(self, owner: str, token: str | None = None) -> Claim | None:
        """Start the oldest due pending job for `token` (attempts+1, lease taken), or None.

        Calling again with the same token after a lost reply returns the same job."""
        token = token or new_claim_token()
        reply = self._scripts[scripts.CLAIM](
            keys=[self.keys.pending, self.keys.leases, self.keys.wake, self.keys.claim(token)],
            args=[self.keys.job_prefix, self.lease_ms, owner, now_iso(), token, NOTIFY_SUFFIX],
        )
        if not reply:
            return None
        _, _, flat = reply
        raw = dict(zip(flat[::2], flat[1::2], strict=True))
        return Claim(record=JobRecord.from_hash(raw), token=token)

    def wait_for_work(self, timeout_s: float) -> None:
        """Block up to timeout_s until a submit or hand-back signals new work."""
        self.redis.blpop([self.keys.wake], timeout=max(timeout_s, 0.01))

    def cancel(self, run_id: str, error: str, code: str = "cancelled") -> JobStatus:
        """End a pending or running job as failed with `code`, at once; returns the status it
        had. TransitionRefusedError when it had already ended; JobNotFound/ExpiredError."""
        reply = self._scripts[scripts.CANCEL](
            keys=[
                self.keys.job(run_id),
                self.keys.leases,
                self.keys.pending,
                self.keys.tombstone(run_id),
                self.keys.checkpoint(run_id),
                self.keys.notify(run_id),
            ],
            args=[now_iso(), self.ttl_seconds, self.tombstone_ttl_seconds, run_id, error, code],
        )
        outcome = reply[0].decode()
        if outcome == "missing":
            self._raise_missing(run_id)
        if outcome == "final":
            raise TransitionRefusedError(JobStatus(reply[1].decode()), JobStatus.FAILED)
        return JobStatus(reply[1].decode())
