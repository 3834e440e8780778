"""Lua for status changes seen from outside an attempt: waiter notifications and cancelling.

NOTIFY is a prelude every status-changing script in `scripts.py` includes; CANCEL is the script
behind DELETE /optimize/<run_id>. Same atomicity and fencing rules as `scripts.py`.
"""

from __future__ import annotations

from webapp.jobs.keys import NOTIFY_SUFFIX, NOTIFY_TTL_MS

# Tells status waiters (GET ?wait=N) that the job's status changed: one token on its notify list,
# which lives NOTIFY_TTL_MS so a waiter that starts a moment later still sees it.
NOTIFY = f"""
local function notify(job)
  local key = job .. '{NOTIFY_SUFFIX}'
  redis.call('LPUSH', key, '1')
  redis.call('LTRIM', key, 0, 0)
  redis.call('PEXPIRE', key, {NOTIFY_TTL_MS})
end
"""


def cancel_script(end_job: str) -> str:
    """The CANCEL script around `end_job`, the shared end-of-job prelude of `scripts.py`."""
    return end_job + NOTIFY + _CANCEL


# KEYS: job, leases, pending, tombstone, checkpoint
# ARGV: now_iso, ttl, tombstone_ttl, run_id, error, error_code
# Cancels a pending or running job: it ends failed with `error_code` and leaves the queue and the
# leases at once. Deleting the record's claim fences the running attempt: its next progress write
# or heartbeat finds the job lost and stops it, and its final write is refused.
# Returns {'cancelled', previous_status} | {'final', status} | {'missing'}
_CANCEL = """
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {'missing'} end
if status ~= 'pending' and status ~= 'running' then return {'final', status} end
redis.call('ZREM', KEYS[3], ARGV[4])
redis.call('ZREM', KEYS[2], ARGV[4])
redis.call('HSET', KEYS[1], 'status', 'failed', 'finished_at', ARGV[1], 'updated_at', ARGV[1],
  'owner', '', 'error', ARGV[5], 'error_code', ARGV[6])
end_job(KEYS[1], KEYS[4], KEYS[5], ARGV[2], ARGV[3])
notify(KEYS[1])
return {'cancelled', status}
"""
