"""Lua for status changes made from outside an attempt: a client cancels a job, an operator
sends a failed one back. Same atomicity and fencing rules as the runner's scripts."""

from __future__ import annotations

from webapp.jobs.scripts.preludes import END_JOB, NOTIFY, NOW_MS, QUEUE

# KEYS: job, leases, pending, tombstone, checkpoint, notify
# ARGV: now_iso, ttl, tombstone_ttl, run_id, error, error_code
# DELETE /optimize/<run_id>: a pending or running job ends failed with `error_code` and leaves
# the queue and the leases at once. Deleting the record's claim fences the running attempt: its
# next progress write or heartbeat finds the job lost and stops it, and its final write is refused.
# Returns {'cancelled', previous_status} | {'final', status} | {'missing'}
CANCEL = (
    END_JOB
    + NOTIFY
    + """
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {'missing'} end
if status ~= 'pending' and status ~= 'running' then return {'final', status} end
redis.call('ZREM', KEYS[3], ARGV[4])
redis.call('ZREM', KEYS[2], ARGV[4])
redis.call('HSET', KEYS[1], 'status', 'failed', 'finished_at', ARGV[1], 'updated_at', ARGV[1],
  'owner', '', 'error', ARGV[5], 'error_code', ARGV[6])
end_job(KEYS[1], KEYS[4], KEYS[5], ARGV[2], ARGV[3])
notify(KEYS[6])
return {'cancelled', status}
"""
)

# KEYS: job, pending, wake, tombstone   ARGV: now_iso, run_id, ttl, tombstone_ttl
# An operator's retry: a failed job goes back to the end of the pending queue, in one step. The
# error is cleared, attempts keep counting (a crash budget already spent is not renewed), and
# the record and its Idempotency-Key lose their TTL again while the job is live.
# Returns 1, or the current status when the job is not failed.
RETRY_FAILED = (
    NOW_MS
    + QUEUE
    + """
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'failed' then return status or '' end
redis.call('HSET', KEYS[1], 'status', 'pending', 'updated_at', ARGV[1], 'owner', '',
  'progress', '0.0', 'phase', '', 'enqueued_ms', now_ms)
redis.call('HDEL', KEYS[1], 'error', 'finished_at', 'started_at', 'finished_claim', 'claim')
redis.call('PERSIST', KEYS[1])
local idem = redis.call('HGET', KEYS[1], 'idem')
if idem then redis.call('PERSIST', idem) end
redis.call('SET', KEYS[4], '1', 'EX', ARGV[4])
queue(KEYS[2], KEYS[3], ARGV[2], now_ms)
return 1
"""
)
