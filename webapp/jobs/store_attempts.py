"""The writes of one running attempt, each fenced by its claim token: progress, resume state,
and how it ends (complete, failed, retried later, handed back)."""

from __future__ import annotations

from typing import Any

from webapp.clock import now_iso
from webapp.jobs import scripts
from webapp.jobs.durability import ReplicationTimeoutError, WaitPolicy
from webapp.jobs.record import encode_blob
from webapp.jobs.states import JobStatus, TransitionRefusedError, check_transition
from webapp.jobs.store_base import StoreBase


class AttemptWrites(StoreBase):
    """What an attempt writes while it runs and when it ends."""

    def report_progress(self, run_id: str, token: str, progress: float, phase: str) -> bool:
        """Write progress for an attempt; False when that attempt no longer owns the job."""
        written = self._scripts[scripts.PROGRESS](
            keys=[self.keys.job(run_id)],
            args=[token, repr(min(max(float(progress), 0.0), 1.0)), phase, now_iso()],
        )
        return bool(written)

    def save_checkpoint(self, run_id: str, token: str, state: Any) -> bool:
        """Store resume state for the owning attempt; False when that attempt was fenced."""
        written = self._scripts[scripts.CHECKPOINT](
            keys=[self.keys.job(run_id), self.keys.checkpoint(run_id)],
            args=[token, encode_blob(state), self.ttl_seconds],
        )
        return bool(written)

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

    def retry_later(
        self,
        run_id: str,
        token: str,
        error: str,
        delay_s: float,
        *,
        give_up_code: str = "gave_up",
    ) -> JobStatus:
        """Charge the attempt for a failure worth another try and requeue the job after
        `delay_s`, or fail it with `give_up_code` once its failed attempts reach max_attempts;
        TransitionRefusedError if fenced."""
        outcome = self._scripts[scripts.RETRY_LATER](
            keys=[
                self.keys.job(run_id),
                self.keys.leases,
                self.keys.pending,
                self.keys.wake,
                self.keys.tombstone(run_id),
                self.keys.checkpoint(run_id),
                self.keys.notify(run_id),
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
                give_up_code,
            ],
        ).decode()
        if outcome == "refused":
            raise TransitionRefusedError(None, JobStatus.PENDING)
        return JobStatus(outcome)

    def hand_back(self, run_id: str, token: str) -> bool:
        """Put a running attempt back on the queue, uncharged; False when it no longer owns it."""
        check_transition(JobStatus.RUNNING, JobStatus.PENDING)
        keys = self.keys
        done = self._scripts[scripts.HAND_BACK](
            keys=[keys.job(run_id), keys.leases, keys.pending, keys.wake, keys.notify(run_id)],
            args=[token, now_iso(), run_id],
        )
        return bool(done)

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
            self._scripts[scripts.FINISH](
                keys=[
                    self.keys.job(run_id),
                    self.keys.result(run_id),
                    self.keys.leases,
                    self.keys.checkpoint(run_id),
                    self.keys.tombstone(run_id),
                    self.keys.pending,
                    self.keys.notify(run_id),
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
