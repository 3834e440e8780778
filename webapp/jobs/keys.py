"""Every Redis key name the service uses, computed in one place.

Lua scripts receive these names through KEYS, or, for keys of a job they find only while running
(a popped queue entry, an expired lease), the prefixes and suffixes below through ARGV: no script
spells the layout itself.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

# Suffix of a job's checkpoint key after its record key (see `checkpoint`).
CHECKPOINT_SUFFIX = ":checkpoint"
# Suffix of a job's status-change notification list after its record key (see `notify`), and
# how long (ms) a notification waits for a status waiter before it expires. Scripts that find
# a job only while running append the suffix to its record key; it is spelled only here.
NOTIFY_SUFFIX = ":notify"
NOTIFY_TTL_MS = 2000
# What follows the global queue's key in a tenant's own queue (the tenant's name after it, ''
# for jobs without a tenant), in the set of tenants taking turns, and in the turns' clock (see
# `tenant_queue`, `turns`, `turns_clock`). Scripts find a job's tenant only while running, so
# they get these from the prelude.
TENANT_QUEUE_INFIX = ":t:"
TURNS_SUFFIX = ":turns"
TURNS_CLOCK_SUFFIX = ":turns:clock"
# What a tombstone holds: this, then its job's tenant ('' for a job without one), so an expired
# job still answers 410 to its owner only. Scripts write it (they know the tenant from the
# record); the store reads it. A tombstone from before it named an owner holds '1'.
TOMBSTONE_OWNER = "owner:"


@dataclass(frozen=True)
class Keys:
    """Key names under one prefix, so several deployments can share a Redis."""

    prefix: str

    @property
    def job_prefix(self) -> str:
        """What every job record key starts with; the run id follows."""
        return f"{self.prefix}:job:"

    @property
    def tombstone_prefix(self) -> str:
        """What every tombstone key starts with; the run id follows."""
        return f"{self.prefix}:tomb:"

    def job(self, run_id: str) -> str:
        """Hash holding the job record."""
        return self.job_prefix + run_id

    def result(self, run_id: str) -> str:
        """String holding the (possibly compressed) JSON result."""
        return f"{self.job(run_id)}:result"

    def checkpoint(self, run_id: str) -> str:
        """String holding the optimizer's resume state for the current attempt."""
        return self.job(run_id) + CHECKPOINT_SUFFIX

    def notify(self, run_id: str) -> str:
        """List that gets a token whenever the job's status changes; status waiters BLPOP it."""
        return self.job(run_id) + NOTIFY_SUFFIX

    def tombstone(self, run_id: str) -> str:
        """Small key that outlives the record, so an expired job reads as 410, not 404; it
        names the job's tenant (TOMBSTONE_OWNER), so to anyone else it stays a 404."""
        return self.tombstone_prefix + run_id

    def idempotency(self, idempotency_key: str, user_id: str | None = None) -> str:
        """Maps an Idempotency-Key to the run it created and the body's digest.

        Scoped per user when the request names one, so one user's key can never find (or
        block) another user's job. The key is hashed: it is client text of any shape."""
        scope = f"u:{_sha(user_id)}:" if user_id else ""
        return f"{self.prefix}:idem:{scope}{_sha(idempotency_key)}"

    def slate(self, slate_id: str, tenant: str | None = None) -> str:
        """String holding an uploaded slate (sport and players) when Neo4j is not configured;
        it expires SLATE_TTL_SECONDS after its last upload. Each tenant has its own slate
        ids (a tenant name holds no ':', so two tenants' keys never meet)."""
        if tenant is None:
            return f"{self.prefix}:slate:{slate_id}"
        return f"{self.prefix}:tslate:{tenant}:{slate_id}"

    def api_key(self, digest: str) -> str:
        """Hash of one API key, found by the SHA-256 of the key (the key itself is never
        stored): its tenant name, limits and creation time."""
        return f"{self.prefix}:apikey:{digest}"

    @property
    def api_keys(self) -> str:
        """Hash of tenant name -> the digest of its key: what `keys list` and `revoke` read."""
        return f"{self.prefix}:apikeys"

    @property
    def api_keys_used(self) -> str:
        """Hash of tenant name -> when its key was last used (ISO time, to the minute)."""
        return f"{self.prefix}:apikeys:used"

    def tenant_bucket(self, tenant: str) -> str:
        """Hash of a tenant's submit token bucket (tokens left, when last filled)."""
        return f"{self.prefix}:tenant:{tenant}:bucket"

    def claim(self, token: str) -> str:
        """Short-lived key naming the job a claim token took, so a retried claim gets it again."""
        return f"{self.prefix}:claim:{token}"

    @property
    def pending(self) -> str:
        """Sorted set of pending run ids, scored by when they may run (ms): the global queue."""
        return f"{self.prefix}:queue:pending"

    def tenant_queue(self, tenant: str | None) -> str:
        """Sorted set of one tenant's pending run ids, scored as on the global queue (None: the
        jobs without a tenant): the order within the tenant when it takes its turn."""
        return f"{self.pending}{TENANT_QUEUE_INFIX}{tenant or ''}"

    def tenant_queue_pattern(self) -> str:
        """SCAN pattern matching every tenant's queue (see `tenant_queue`), '' tenant's too."""
        return f"{self.pending}{TENANT_QUEUE_INFIX}*"

    @property
    def turns(self) -> str:
        """Sorted set of tenants with queued jobs ('' for jobs without one), scored by their
        turn (jobs claimed so far, counted from the turn they joined at): the claim serves the
        lowest first."""
        return f"{self.pending}{TURNS_SUFFIX}"

    @property
    def turns_clock(self) -> str:
        """String holding the turn of the tenant served last: where a tenant joins the turns."""
        return f"{self.pending}{TURNS_CLOCK_SUFFIX}"

    @property
    def leases(self) -> str:
        """Sorted set of running run ids, scored by lease expiry (ms)."""
        return f"{self.prefix}:queue:leases"

    @property
    def wake(self) -> str:
        """List used only to wake idle dispatchers when a job is queued."""
        return f"{self.prefix}:queue:wake"

    @property
    def workers(self) -> str:
        """Hash of worker processes (owner -> JSON with their last heartbeat), for operators."""
        return f"{self.prefix}:workers"

    def job_pattern(self) -> str:
        """SCAN pattern matching job record keys (not results or checkpoints)."""
        return f"{self.job_prefix}*"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
