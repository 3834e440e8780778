"""Lua scripts that change job state in Redis, grouped by what they do.

Each status change is one script: Redis runs a script atomically, so the check of the current
state and its companion writes (queue, lease, result, TTLs) can never interleave with another
process. WATCH/MULTI would do the same with more round trips and retry loops under contention.

Fencing: every claim carries a random token chosen by the claiming process (stored in the
record's `claim` field). Every script that writes on behalf of an attempt compares it, so a
process that lost its job cannot write, even after Redis rolled back to an older snapshot (a
counter could be handed out twice then; a random token cannot). A retried CLAIM with the same
token returns the job it took, and a retried FINISH answers `already`: a reply lost to a timeout
changes nothing.

Live records (pending, running) carry no TTL: only a finished job starts its expiry, so a job that
waits or runs for longer than JOB_TTL_SECONDS is never lost, and `volatile-*` eviction cannot
take it. Lease and queue scores use the Redis server's clock (TIME), so hosts with skewed clocks
agree on when a lease has run out. The ISO timestamps shown to users come from the caller.

Key names come from `keys.py` through KEYS, or, for jobs a script finds only while it runs (a
queue entry, an expired lease), as prefixes and suffixes through ARGV: no script spells them.
"""

from __future__ import annotations

from webapp.jobs.scripts.attempts import CHECKPOINT, FINISH, HAND_BACK, PROGRESS, RETRY_LATER
from webapp.jobs.scripts.interventions import CANCEL, RETRY_FAILED
from webapp.jobs.scripts.leases import HEARTBEAT, RECLAIM
from webapp.jobs.scripts.queueing import CLAIM, SUBMIT, WITHDRAW

# Every job script (the store registers them all on its client).
ALL = (
    CANCEL,
    CHECKPOINT,
    CLAIM,
    FINISH,
    HAND_BACK,
    HEARTBEAT,
    PROGRESS,
    RECLAIM,
    RETRY_FAILED,
    RETRY_LATER,
    SUBMIT,
    WITHDRAW,
)
