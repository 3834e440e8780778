"""JobStore: the only code that talks to Redis about jobs.

Every status change runs one Lua script from `scripts.py` (atomic compare-and-set plus its
companion writes, one round trip); reads are single pipelined round trips. See `keys.py` for the
key layout and `states.py` for the transitions these scripts enforce.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import redis

from webapp.clock import now_iso
from webapp.jobs import scripts
from webapp.jobs.durability import ReplicationTimeoutError, WaitPolicy
from webapp.jobs.keys import CHECKPOINT_SUFFIX, Keys
from webapp.jobs.record import JobRecord, decode_blob, encode_blob
from webapp.jobs.states import JobStatus, TransitionRefusedError, check_transition
from webapp.jobs.store_reads import JobReads
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


class JobStore(JobReads):
    """Job records, results, the pending queue and the running leases in Redis."""

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
        self._claim = client.register_script(scripts.CLAIM)
        self._progress = client.register_script(scripts.PROGRESS)
        self._checkpoint = client.register_script(scripts.CHECKPOINT)
        self._heartbeat = client.register_script(scripts.HEARTBEAT)
        self._finish = client.register_script(scripts.FINISH)
        self._retry_later = client.register_script(scripts.RETRY_LATER)
        self._hand_back = client.register_script(scripts.HAND_BACK)
        self._reclaim = client.register_script(scripts.RECLAIM)
        self._withdraw = client.register_script(scripts.WITHDRAW)
        self._cancel = client.register_script(scripts.CANCEL)

    # ------------------------------------------------------------------ writes

    def submit(
        self,
        record: JobRecord,
        idempotency_key: str | None = None,
        *,
        user_id: str | None = None,
        wait: WaitPolicy | None = None,
    ) -> Submission:
        """Store a new pending job and queue it, atomically; honour an Idempotency-Key (scoped
        to `user_id` when given). With `wait`, WAIT on the same connection until that many
        replicas hold the job; if they do not in time, withdraw it (still pending) and raise
        ReplicationTimeoutError, so an unconfirmed job is never acknowledged."""
        # The body digest only matters when an Idempotency-Key ties this body to a run.
        digest = body_digest(record.input) if idempotency_key else ""
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
            outcome, value = self._submit(keys=keys, args=args)
        else:
            # WAIT counts the writes of its own connection: one pipeline keeps both on one.
            with self.redis.pipeline(transaction=False) as pipe:
                self._submit(keys=keys, args=args, client=pipe)
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
        if self._withdraw(keys=keys, args=[run_id]):
            raise ReplicationTimeoutError(acked, wait)
        # Already claimed: a process runs it, so it stands as accepted.

    def claim_next(self, owner: str, token: str | None = None) -> Claim | None:
        """Start the oldest due pending job for `token` (attempts+1, lease taken), or None.

        Calling again with the same token after a lost reply returns the same job."""
        token = token or new_claim_token()
        reply = self._claim(
            keys=[self.keys.pending, self.keys.leases, self.keys.wake, self.keys.claim(token)],
            args=[self.keys.job_prefix, self.lease_ms, owner, now_iso(), token],
        )
        if not reply:
            return None
        _, _, flat = reply
        raw = dict(zip(flat[::2], flat[1::2], strict=True))
        return Claim(record=JobRecord.from_hash(raw), token=token)

    def report_progress(self, run_id: str, token: str, progress: float, phase: str) -> bool:
        """Write progress for an attempt; False when that attempt no longer owns the job."""
        written = self._progress(
            keys=[self.keys.job(run_id)],
            args=[token, repr(min(max(float(progress), 0.0), 1.0)), phase, now_iso()],
        )
        return bool(written)

    def renew_leases(self, owner: str, attempts: Iterable[tuple[str, str]]) -> list[str]:
        """Extend the leases of (run_id, token) attempts; return the run ids they have lost."""
        args: list[Any] = [self.keys.job_prefix, self.lease_ms, owner, now_iso()]
        for run_id, token in attempts:
            args.extend([run_id, token])
        if len(args) == 4:
            return []
        lost = self._heartbeat(keys=[self.keys.leases, self.keys.pending], args=args)
        return [run_id.decode() for run_id in lost]

    def complete(
        self, run_id: str, token: str, result: Any, *, wait: WaitPolicy | None = None
    ) -> None:
        """Store the result and mark the attempt complete, or raise TransitionRefusedError.

        With `wait`, ReplicationTimeoutError when too few replicas confirm it: the write stands
        on the primary, and retrying it is safe (the same attempt's finish is idempotent)."""
        self._finish_attempt(
            run_id, token, JobStatus.COMPLETE, error="", result=result, code="", wait=wait
        )

    def fail(
        self,
        run_id: str,
        token: str,
        error: str,
        code: str = "job_failed",
        *,
        wait: WaitPolicy | None = None,
    ) -> None:
        """Mark the attempt failed with `error` (and machine-readable `code`), or raise
        TransitionRefusedError; `wait` as for complete()."""
        self._finish_attempt(
            run_id, token, JobStatus.FAILED, error=error, result=None, code=code, wait=wait
        )

    def retry_later(self, run_id: str, token: str, error: str, delay_s: float) -> JobStatus:
        """Charge the attempt for a transient failure and requeue the job after `delay_s`, or
        fail it once its failed attempts reach max_attempts; TransitionRefusedError if fenced."""
        outcome = self._retry_later(
            keys=[
                self.keys.job(run_id),
                self.keys.leases,
                self.keys.pending,
                self.keys.wake,
                self.keys.tombstone(run_id),
                self.keys.checkpoint(run_id),
            ],
            args=[
                token,
                now_iso(),
                run_id,
                int(delay_s * 1000),
                self.max_attempts,
                error,
                self.ttl_seconds,
                self.tombstone_ttl_seconds,
            ],
        ).decode()
        if outcome == "refused":
            raise TransitionRefusedError(None, JobStatus.PENDING)
        return JobStatus(outcome)

    def hand_back(self, run_id: str, token: str) -> bool:
        """Put a running attempt back on the queue, uncharged; False when it no longer owns it."""
        check_transition(JobStatus.RUNNING, JobStatus.PENDING)
        done = self._hand_back(
            keys=[
                self.keys.job(run_id),
                self.keys.leases,
                self.keys.pending,
                self.keys.wake,
            ],
            args=[token, now_iso(), run_id],
        )
        return bool(done)

    def server_time_ms(self) -> int:
        """Redis's clock, in milliseconds (the clock leases are scored by)."""
        seconds, micros = self.redis.time()
        return seconds * 1000 + micros // 1000

    def reclaim_expired(
        self, limit: int = 100, *, not_after_ms: int | None = None
    ) -> list[tuple[str, JobStatus]]:
        """Requeue (or fail, past max_attempts) every running job whose lease ran out; nothing
        when Redis runs the scan after `not_after_ms` (its clock): it was held up."""
        flat = self._reclaim(
            keys=[self.keys.leases, self.keys.pending, self.keys.wake],
            args=[
                self.keys.job_prefix,
                self.keys.tombstone_prefix,
                CHECKPOINT_SUFFIX,
                self.max_attempts,
                now_iso(),
                self.ttl_seconds,
                self.tombstone_ttl_seconds,
                limit,
                "" if not_after_ms is None else not_after_ms,
            ],
        )
        return [
            (run_id.decode(), JobStatus(outcome.decode()))
            for run_id, outcome in zip(flat[::2], flat[1::2], strict=True)
        ]

    def save_checkpoint(self, run_id: str, token: str, state: Any) -> bool:
        """Store resume state for the owning attempt; False when that attempt was fenced."""
        written = self._checkpoint(
            keys=[self.keys.job(run_id), self.keys.checkpoint(run_id)],
            args=[token, encode_blob(state), self.ttl_seconds],
        )
        return bool(written)

    def load_checkpoint(self, run_id: str) -> Any:
        """The last saved resume state, or None."""
        return decode_blob(self.redis.get(self.keys.checkpoint(run_id)))

    def wait_for_work(self, timeout_s: float) -> None:
        """Block up to timeout_s until a submit or hand-back signals new work."""
        self.redis.blpop([self.keys.wake], timeout=max(timeout_s, 0.01))

    # ------------------------------------------------------------------ internals

    def _finish_attempt(
        self,
        run_id: str,
        token: str,
        status: JobStatus,
        *,
        error: str,
        result: Any,
        code: str,
        wait: WaitPolicy | None,
    ) -> None:
        check_transition(JobStatus.RUNNING, status)
        with self.redis.pipeline(transaction=False) as pipe:
            self._finish(
                keys=[
                    self.keys.job(run_id),
                    self.keys.result(run_id),
                    self.keys.leases,
                    self.keys.checkpoint(run_id),
                    self.keys.tombstone(run_id),
                    self.keys.pending,
                ],
                args=[
                    token,
                    str(status),
                    now_iso(),
                    self.ttl_seconds,
                    self.tombstone_ttl_seconds,
                    run_id,
                    error,
                    encode_blob(result) if result is not None else b"",
                    code,
                ],
                client=pipe,
            )
            if wait is not None:
                # WAIT counts the writes of its own connection: the pipeline keeps both on one.
                pipe.wait(wait.replicas, wait.timeout_ms)
            finished, *acked = pipe.execute()
        if finished[0] == b"refused":
            raise TransitionRefusedError(finished[1].decode() or None, status)
        if wait is not None and acked[0] < wait.replicas:
            raise ReplicationTimeoutError(acked[0], wait)

    # ------------------------------------------------------------------ cancel

    def cancel(self, run_id: str, error: str, code: str = "cancelled") -> JobStatus:
        """End a pending or running job as failed with `code`, at once; returns the status it
        had. TransitionRefusedError when it had already ended; JobNotFound/ExpiredError."""
        reply = self._cancel(
            keys=[
                self.keys.job(run_id),
                self.keys.leases,
                self.keys.pending,
                self.keys.tombstone(run_id),
                self.keys.checkpoint(run_id),
            ],
            args=[now_iso(), self.ttl_seconds, self.tombstone_ttl_seconds, run_id, error, code],
        )
        outcome = reply[0].decode()
        if outcome == "missing":
            self._raise_missing(run_id)
        if outcome == "final":
            raise TransitionRefusedError(JobStatus(reply[1].decode()), JobStatus.FAILED)
        return JobStatus(reply[1].decode())
