"""JobStore: the only code that talks to Redis about jobs.

Every status change is one Lua script (`lua/<name>.lua`, declared in `scripts.py`): Redis runs a
script atomically, so the check of the stored status and its companion writes (queue, lease,
result, TTLs) never interleave with another process's. WATCH/MULTI would do the same with more
round trips, and retry loops under contention. Reads are single pipelined round trips.

Fencing: every claim carries a random token chosen by the claiming process (the record's
`claim` field). Every script that writes for an attempt compares it, so a process that lost its
job cannot write, even after Redis rolled back to an older snapshot (a counter could be handed
out twice then; a random token cannot). A claim sent again with the same token returns the job
it took, and a finish sent again answers `already`: a reply lost to a timeout changes nothing.

Live records (pending, running) carry no TTL: only a finished job starts its expiry, so a job
that waits or runs for longer than JOB_TTL_SECONDS is never lost, and `volatile-*` eviction
cannot take it. Queue and lease scores use the Redis server's clock (TIME), so hosts with
skewed clocks agree on when a lease has run out; the ISO times shown to users come from here.
Key names come from `keys.py`, passed to the scripts by name; no script spells them.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import redis

from webapp.clock import now_iso
from webapp.jobs import scripts
from webapp.jobs.durability import WaitPolicy
from webapp.jobs.errors import (
    IdempotencyConflictError,
    JobExpiredError,
    JobNotFoundError,
    JobVanishedError,
    LimitReachedError,
    ReplicationTimeoutError,
    TransitionRefusedError,
)
from webapp.jobs.keys import (
    CHECKPOINT_SUFFIX,
    NOTIFY_SUFFIX,
    NOTIFY_TTL_MS,
    TOMBSTONE_OWNER,
    Keys,
)
from webapp.jobs.limits import PENDING_RETRY_AFTER_S, Limits
from webapp.jobs.record import STATUS_FIELDS, JobRecord, decode_blob, encode_blob
from webapp.jobs.scripts import Script
from webapp.jobs.states import JobStatus

# How many records one pipelined read asks for at once.
READ_BATCH = 500
# How long past its WAIT timeout an unconfirmed job stays unclaimable: time for its submitter to
# confirm or withdraw it. Only a submitter that died in between makes a job wait this long, or a
# failover right after the CONFIRM (not itself WAITed for) to a replica that missed it.
CONFIRM_GRACE_MS = 10_000
# The error_code of a job its client cancelled; an operator's retry leaves such a job alone.
CANCELLED = "cancelled"


# ---------------------------------------------------------------- what the store takes and returns


@dataclass(frozen=True)
class Claim:
    """A job this process has started: its token fences every write made for this attempt."""

    record: JobRecord
    token: str
    # The record as the claim read it, field by field: what the owner writes back if Redis
    # loses the job while it runs.
    fields: Mapping[bytes, bytes] = field(default_factory=dict, repr=False, compare=False)

    @property
    def attempt(self) -> int:
        """Which start of the job this is (1 for the first)."""
        return self.record.attempts


@dataclass(frozen=True)
class Submission:
    """What submit did: created a new job, or found the one this idempotency key made."""

    run_id: str
    created: bool


@dataclass(frozen=True)
class Renewal:
    """What a heartbeat found: attempts that lost their job, and jobs it wrote back."""

    lost: list[str]
    restored: list[str]


@dataclass(frozen=True)
class QueueStats:
    """Global queue figures, for readiness and operators."""

    pending: int
    running: int
    oldest_pending_age_s: float | None


def new_claim_token() -> str:
    """A random claim token: unlike a counter, Redis cannot hand it out twice after a rollback."""
    return secrets.token_hex(12)


def _claim_fields(claim: Claim) -> list[Any]:
    """The record as the claim read it, as HSET's field/value list: what a job Redis lost is
    written back from."""
    stored = claim.fields or claim.record.to_hash()
    return [item for pair in stored.items() for item in pair]


def body_digest(body: Any) -> str:
    """A stable digest of a request body (canonical JSON)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class JobStore:
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
        # Registering computes each script's digest; it sends nothing.
        self._scripts = {s.name: client.register_script(s.source()) for s in scripts.ALL}

    def _run(self, script: Script, run_id: str = "", *, client: Any = None, **inputs: Any) -> Any:
        """Run `script` with `inputs` by name; the key names and limits of this store (and of
        the job `run_id`) are there for the asking. With a pipeline as `client` it is queued
        there as EVALSHA alone (see `_pipelined`)."""
        keys, args = script.inputs({**self._names(run_id), **inputs})
        registered = self._scripts[script.name]
        if isinstance(client, redis.client.Pipeline):
            return client.evalsha(registered.sha, len(keys), *keys, *args)
        return registered(keys=keys, args=args, client=client)

    def _pipelined(self, queue: Callable[[Any], None]) -> list[Any]:
        """Execute the commands `queue` adds to one pipeline (one connection, one round trip).

        Its scripts go as EVALSHA only: redis-py's own pipelines first ask SCRIPT EXISTS, a
        round trip more on every finish and confirmed submit. Redis that does not know a
        script (restarted, SCRIPT FLUSH) refuses it before it runs anything, so the scripts are
        loaded and the pipeline sent again."""
        for attempt in range(2):
            with self.redis.pipeline(transaction=False) as pipe:
                queue(pipe)
                try:
                    return pipe.execute()
                except redis.exceptions.NoScriptError:
                    if attempt:
                        raise
            for registered in self._scripts.values():
                self.redis.script_load(registered.script)
        raise AssertionError("unreachable")

    def _names(self, run_id: str) -> dict[str, Any]:
        k = self.keys
        names: dict[str, Any] = {
            "pending": k.pending,
            "leases": k.leases,
            "wake": k.wake,
            "job_prefix": k.job_prefix,
            "tombstone_prefix": k.tombstone_prefix,
            "checkpoint_suffix": CHECKPOINT_SUFFIX,
            "notify_suffix": NOTIFY_SUFFIX,
            "ttl": self.ttl_seconds,
            "tombstone_ttl": self.tombstone_ttl_seconds,
            "lease_ms": self.lease_ms,
            "max_attempts": self.max_attempts,
            "now_iso": now_iso(),
        }
        if run_id:
            names.update(
                run_id=run_id,
                job=k.job(run_id),
                result=k.result(run_id),
                checkpoint=k.checkpoint(run_id),
                tombstone=k.tombstone(run_id),
                notice=k.notify(run_id),
            )
        return names

    def _raise_missing(self, run_id: str) -> None:
        """Expired (tombstone left, naming the job's tenant) or never existed: a second round
        trip, on misses only."""
        tombstone = self.redis.get(self.keys.tombstone(run_id))
        if tombstone is None:
            raise JobNotFoundError(run_id)
        owner = tombstone.decode()
        if not owner.startswith(TOMBSTONE_OWNER):  # written before tombstones named the tenant
            raise JobExpiredError(run_id, owner_known=False)
        raise JobExpiredError(run_id, owner.removeprefix(TOMBSTONE_OWNER) or None)

    # ------------------------------------------------------------ submitting

    def submit(
        self,
        record: JobRecord,
        idempotency_key: str | None = None,
        *,
        user_id: str | None = None,
        wait: WaitPolicy | None = None,
        request: object = None,
        limits: Limits | None = None,
    ) -> Submission:
        """Store a new pending job and queue it, atomically; honour an Idempotency-Key (scoped
        to `user_id` when given) for `request`, the request as sent (default: the input).

        With `wait`, WAIT on the same connection until that many replicas hold the job, which
        no process may claim meanwhile. Confirmed, it is queued; if not, it is withdrawn and
        ReplicationTimeoutError raised, so an unconfirmed job is never acknowledged. A replay of
        a job still being confirmed by another request confirms it the same way, or raises.

        With `limits`, the record's tenant's: LimitReachedError past any, nothing stored."""
        wait = wait if wait is not None and wait.replicas > 0 else None
        # The body digest only matters when an Idempotency-Key ties this body to a run.
        sent = record.input if request is None else request
        digest = body_digest(sent) if idempotency_key else ""
        idem_key = self.keys.idempotency(idempotency_key, user_id) if idempotency_key else ""
        outcome, value, acked = self._send_submit(record, idem_key, digest, wait, limits)
        if outcome == "limited":
            limit, _, retry_after = value.partition(":")
            retry_after_s = int(retry_after or PENDING_RETRY_AFTER_S)
            raise LimitReachedError(record.tenant or "", limit, retry_after_s)
        if outcome in ("idempotent", "unconfirmed"):
            run_id, stored_digest = value.split("\n", 1)
            if stored_digest != digest:
                raise IdempotencyConflictError()
            if outcome == "unconfirmed" and not self._confirm_replay(run_id, acked, wait):
                # Its own submit withdrew it meanwhile: this request submits the job anew.
                return self.submit(
                    record,
                    idempotency_key,
                    user_id=user_id,
                    wait=wait,
                    request=request,
                    limits=limits,
                )
            return Submission(run_id=run_id, created=False)
        if outcome == "created" and wait is not None:
            self._accept(record.run_id, idem_key, acked, wait)
        return Submission(run_id=value, created=outcome == "created")

    def _send_submit(
        self,
        record: JobRecord,
        idem_key: str,
        digest: str,
        wait: WaitPolicy | None,
        limits: Limits | None,
    ) -> tuple[str, str, int]:
        """Run the submit script (then WAIT, on the same connection); its outcome, its value
        and how many replicas acknowledged it."""
        inputs = {
            "idempotency": idem_key,
            "digest": digest,
            "hold_ms": wait.timeout_ms + CONFIRM_GRACE_MS if wait is not None else 0,
            "fields": [
                *(item for pair in record.to_hash().items() for item in pair),
                *self._running_limit(record.tenant, limits),
            ],
            **self._limit_inputs(record.tenant, limits),
        }
        if wait is None:
            outcome, value = self._run(scripts.SUBMIT, record.run_id, **inputs)
            return outcome.decode(), value.decode(), 0

        def queue(pipe: Any) -> None:
            # WAIT counts the writes of its own connection: one pipeline keeps both on one.
            self._run(scripts.SUBMIT, record.run_id, client=pipe, **inputs)
            pipe.wait(wait.replicas, wait.timeout_ms)

        (outcome, value), acked = self._pipelined(queue)
        return outcome.decode(), value.decode(), acked

    @staticmethod
    def _running_limit(tenant: str | None, limits: Limits | None) -> list[Any]:
        """The record field the claim reads its tenant's running limit from (none without)."""
        if tenant is None or limits is None:
            return []
        return ["max_running", limits.max_running]

    def _limit_inputs(self, tenant: str | None, limits: Limits | None) -> dict[str, Any]:
        """The submit script's limit inputs: none ('' keys) without a tenant or limits."""
        if tenant is None or limits is None:
            return {
                "own_queue": "",
                "bucket": "",
                "max_pending": 0,
                "rate_per_s": 0,
                "burst": 0,
            }
        return {
            "own_queue": self.keys.tenant_queue(tenant),
            "bucket": self.keys.tenant_bucket(tenant),
            "max_pending": limits.max_pending,
            "rate_per_s": repr(float(limits.rate_per_s)),
            "burst": limits.burst,
        }

    def _accept(self, run_id: str, idem_key: str, acked: int, wait: WaitPolicy) -> None:
        """Confirm a new job once `acked` replicas hold it; otherwise withdraw it and raise
        ReplicationTimeoutError (also when it is gone: the job is not there to accept)."""
        if acked >= wait.replicas:
            # No WAIT for the CONFIRM: a replica promoted before it arrives holds the job
            # unconfirmed, and it runs once its hold is over (CONFIRM_GRACE_MS): late, not lost.
            if self._run(scripts.CONFIRM, run_id) == b"confirmed":
                return
            raise ReplicationTimeoutError(0, wait)  # lost since the WAIT: a failover
        if self._withdraw(run_id, idem_key) == "stands":
            return  # a replay confirmed it, or its hold ran out and a process claimed it
        raise ReplicationTimeoutError(acked, wait)

    def _confirm_replay(self, run_id: str, acked: int, wait: WaitPolicy | None) -> bool:
        """Confirm a job that another request submitted and has not confirmed yet, once this
        request's WAIT saw enough replicas hold it (without a WAIT policy, at once): True when
        confirmed, False when it is gone; ReplicationTimeoutError when too few hold it."""
        if wait is not None and acked < wait.replicas:
            raise ReplicationTimeoutError(acked, wait)
        return self._run(scripts.CONFIRM, run_id) == b"confirmed"

    def _withdraw(self, run_id: str, idem_key: str) -> str:
        """Withdraw an unconfirmed job: 'withdrawn', 'missing' (not there), or 'stands'."""
        return self._run(scripts.WITHDRAW, run_id, idempotency=idem_key).decode()

    # ------------------------------------------------------------ claiming

    def claim_next(self, owner: str, token: str | None = None) -> Claim | None:
        """Start the next due pending job for `token` (attempts+1, lease taken), or None: the
        oldest due job of the tenant served longest ago, among tenants below their running
        limit (claim.lua).

        Calling again with the same token after a lost reply returns the same job."""
        token = token or new_claim_token()
        reply = self._run(scripts.CLAIM, claimed=self.keys.claim(token), owner=owner, token=token)
        if not reply:
            return None
        _, _, flat = reply
        raw = dict(zip(flat[::2], flat[1::2], strict=True))
        return Claim(record=JobRecord.from_hash(raw), token=token, fields=raw)

    def give_back_claim(self, token: str) -> str | None:
        """Hand back, uncharged, the job a claim with `token` took if its reply never arrived
        (the claim is asked again by its token, so no new job is taken); its run id, or None."""
        run_id = self.redis.get(self.keys.claim(token))
        if run_id is None or not self.hand_back(run_id.decode(), token):
            return None
        return run_id.decode()

    def wait_for_work(self, timeout_s: float) -> None:
        """Block up to timeout_s until a submit or hand-back signals new work."""
        self.redis.blpop([self.keys.wake], timeout=max(timeout_s, 0.01))

    # ------------------------------------------------------------ an attempt's writes

    def report_progress(self, run_id: str, token: str, progress: float, phase: str) -> bool:
        """Write progress for an attempt; False when that attempt no longer owns the job."""
        written = self._run(
            scripts.PROGRESS,
            run_id,
            token=token,
            progress=repr(min(max(float(progress), 0.0), 1.0)),
            phase=phase,
        )
        return bool(written)

    def save_checkpoint(self, run_id: str, token: str, state: Any) -> bool:
        """Store resume state for the owning attempt; False when that attempt was fenced."""
        written = self._run(scripts.CHECKPOINT, run_id, token=token, blob=encode_blob(state))
        return bool(written)

    def complete(
        self, run_id: str, token: str, result: Any, *, wait: WaitPolicy | None = None
    ) -> None:
        """Store the result and mark the attempt complete, or raise TransitionRefusedError.

        With `wait`, ReplicationTimeoutError when too few replicas confirm it: the write stands
        on the primary, and retrying it is safe (the same attempt's finish is idempotent, and
        its WAIT then covers the first write). JobVanishedError when Redis lost the job: retry
        once the owner's heartbeat has written the record back."""
        self._finish(run_id, token, JobStatus.COMPLETE, result=result, wait=wait)

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
        TransitionRefusedError; `wait` and JobVanishedError as for complete()."""
        self._finish(run_id, token, JobStatus.FAILED, message=error, code=code, wait=wait)

    def _finish(
        self,
        run_id: str,
        token: str,
        status: JobStatus,
        *,
        result: Any = None,
        message: str = "",
        code: str = "",
        wait: WaitPolicy | None,
    ) -> None:
        result_blob = encode_blob(result) if result is not None else b""

        def queue(pipe: Any) -> None:
            self._run(
                scripts.FINISH,
                run_id,
                client=pipe,
                token=token,
                status=str(status),
                message=message,
                result_blob=result_blob,
                error_code=code,
            )
            if wait is not None:
                # WAIT counts the writes of its own connection: the pipeline keeps both on one.
                pipe.wait(wait.replicas, wait.timeout_ms)

        finished, *acked = self._pipelined(queue)
        if finished[0] == b"vanished":
            raise JobVanishedError(run_id)
        if finished[0] == b"refused":
            raise TransitionRefusedError(finished[1].decode() or None, status)
        if wait is not None and acked[0] < wait.replicas:
            raise ReplicationTimeoutError(acked[0], wait)

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
        TransitionRefusedError if fenced, JobVanishedError as for complete()."""
        outcome = self._run(
            scripts.RETRY_LATER,
            run_id,
            token=token,
            delay_ms=int(delay_s * 1000),
            message=error,
            give_up_code=give_up_code,
        ).decode()
        if outcome == "vanished":
            raise JobVanishedError(run_id)
        if outcome == "refused":
            raise TransitionRefusedError(None, JobStatus.PENDING)
        return JobStatus(outcome)

    def hand_back(self, run_id: str, token: str, *, claim: Claim | None = None) -> bool:
        """Put a running attempt back on the queue, uncharged; False when it no longer owns it.

        With the attempt's own `claim` (its process's), a job Redis lost while it ran (record
        and tombstone gone) is written back from it as pending, so another process runs it: no
        one else holds its input."""
        fields = _claim_fields(claim) if claim is not None else []
        return bool(self._run(scripts.HAND_BACK, run_id, token=token, fields=fields))

    # ------------------------------------------------------------ leases and recovery

    def renew_leases(self, owner: str, claims: Iterable[Claim]) -> Renewal:
        """Extend the leases of these running attempts; report the run ids they have lost.

        A job Redis lost while its attempt runs (record and tombstone gone) is written back
        from the claim, running again under the same token: the attempt goes on."""
        by_run_id = {claim.record.run_id: claim for claim in claims}
        if not by_run_id:
            return Renewal(lost=[], restored=[])
        attempts = [item for run_id, c in by_run_id.items() for item in (run_id, c.token)]
        lost, vanished = self._run(scripts.HEARTBEAT, owner=owner, attempts=attempts)
        restored = [r.decode() for r in vanished if self.restore(by_run_id[r.decode()], owner)]
        return Renewal(lost=[run_id.decode() for run_id in lost], restored=restored)

    def restore(self, claim: Claim, owner: str) -> bool:
        """Write back the record of a running job that Redis lost, from its claim; False when
        the job is there after all (or has expired)."""
        fields = _claim_fields(claim)
        restored = self._run(scripts.RESTORE, claim.record.run_id, owner=owner, fields=fields)
        return bool(restored)

    def server_time_ms(self) -> int:
        """Redis's clock, in milliseconds (the clock leases are scored by)."""
        seconds, micros = self.redis.time()
        return seconds * 1000 + micros // 1000

    def reclaim_expired(
        self, limit: int = 100, *, not_after_ms: int | None = None
    ) -> list[tuple[str, JobStatus]]:
        """Requeue (or fail, past max_attempts) every running job whose lease ran out; nothing
        when Redis runs the scan after `not_after_ms` (its clock): it was held up."""
        flat = self._run(
            scripts.RECLAIM,
            limit=limit,
            not_after_ms="" if not_after_ms is None else not_after_ms,
        )
        return [
            (run_id.decode(), JobStatus(outcome.decode()))
            for run_id, outcome in zip(flat[::2], flat[1::2], strict=True)
        ]

    # ------------------------------------------------------------ from outside an attempt

    def cancel(self, run_id: str, error: str, code: str = CANCELLED) -> JobStatus:
        """End a pending or running job as failed with `code`, at once; returns the status it
        had. TransitionRefusedError when it had already ended; JobNotFound/ExpiredError."""
        reply = self._run(scripts.CANCEL, run_id, message=error, error_code=code)
        outcome = reply[0].decode()
        if outcome == "missing":
            self._raise_missing(run_id)
        if outcome == "final":
            raise TransitionRefusedError(JobStatus(reply[1].decode()), JobStatus.FAILED)
        return JobStatus(reply[1].decode())

    def retry_failed(self, run_id: str) -> JobRecord:
        """Queue a failed job again (an operator's retry); refused unless it is failed, and for
        a job its client cancelled.

        Its attempts keep counting, so a crash budget already spent is not renewed."""
        done = self._run(scripts.RETRY_FAILED, run_id, cancelled_code=CANCELLED)
        if done != 1:
            if not done:
                self._raise_missing(run_id)
            raise TransitionRefusedError(done.decode(), JobStatus.PENDING)
        return self.get(run_id)

    @staticmethod
    def is_retryable(record: JobRecord) -> bool:
        """True when an operator may send the job back to the queue (retry_failed)."""
        return record.status is JobStatus.FAILED and record.error_code != CANCELLED

    # ------------------------------------------------------------ reads

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
            raise JobExpiredError(run_id, record.tenant)
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

    # ------------------------------------------------------------ what operators read and repair

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
        """Delete tombstones of expired jobs and queue/lease entries whose record is gone; then
        the entries of tenants' queues whose job is off the global queue, and the tenants
        that may leave the turns (nothing queued, their turn come round): what claims would
        drop once they reach it."""
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
        removed["tenant_queue_entries"] = self._purge_tenant_queues()
        removed["turns_entries"] = self._run(scripts.PURGE_TURNS)
        return removed

    def _purge_tenant_queues(self) -> int:
        """Drop the entries of every tenant's queue whose job is off the global queue."""
        removed = 0
        for queue in self.redis.scan_iter(match=self.keys.tenant_queue_pattern(), count=1000):
            run_ids = self.redis.zrange(queue, 0, -1)
            for start in range(0, len(run_ids), READ_BATCH):
                batch = run_ids[start : start + READ_BATCH]
                removed += self._run(scripts.PURGE_TENANT_QUEUE, queue=queue, run_ids=batch)
        return removed

    # ------------------------------------------------------------ worker presence

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
