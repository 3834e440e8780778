"""Lua for the writes of one running attempt: progress, resume state, and how it ends
(finished, retried later, handed back). Each is fenced by the attempt's claim token."""

from __future__ import annotations

from webapp.jobs.scripts.preludes import END_JOB, NOTIFY, NOW_MS, QUEUE, TAKE_BACK

# KEYS: job
# ARGV: token, progress, phase, now_iso
# Returns 1 when written, 0 when the attempt no longer owns the job (fenced).
PROGRESS = """
if redis.call('HGET', KEYS[1], 'claim') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'progress', ARGV[2], 'phase', ARGV[3], 'updated_at', ARGV[4])
return 1
"""

# KEYS: job, checkpoint
# ARGV: token, blob, ttl
# Stores resume state only for the attempt that owns the job: 1, or 0 when fenced.
CHECKPOINT = """
if redis.call('HGET', KEYS[1], 'claim') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
return 1
"""

# KEYS: job, result, leases, checkpoint, tombstone, pending, notify
# ARGV: token, new_status, now_iso, ttl, tombstone_ttl, run_id, error, result_blob, error_code
# Ends an attempt as complete or failed. Accepted while the job is running on this token, or was
# requeued by recovery and no other attempt has claimed it since.
# Returns {'ok'} | {'already'} | {'refused', status}
FINISH = (
    END_JOB
    + NOTIFY
    + TAKE_BACK
    + """
if redis.call('HGET', KEYS[1], 'finished_claim') == ARGV[1] then
  if redis.call('HGET', KEYS[1], 'status') == ARGV[2] then return {'already'} end
end
if redis.call('HGET', KEYS[1], 'claim') ~= ARGV[1] then
  return {'refused', redis.call('HGET', KEYS[1], 'status') or ''}
end
take_back(KEYS[1], KEYS[7], KEYS[6], ARGV[6])
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'finished_at', ARGV[3], 'updated_at', ARGV[3],
  'owner', '', 'finished_claim', ARGV[1])
if ARGV[2] == 'complete' then
  redis.call('HSET', KEYS[1], 'progress', '1.0')
  redis.call('SET', KEYS[2], ARGV[8], 'EX', ARGV[4])
else
  redis.call('HSET', KEYS[1], 'error', ARGV[7], 'error_code', ARGV[9])
end
end_job(KEYS[1], KEYS[5], KEYS[4], ARGV[4], ARGV[5])
redis.call('ZREM', KEYS[3], ARGV[6])
notify(KEYS[7])
return {'ok'}
"""
)

# KEYS: job, leases, pending, wake, notify
# ARGV: token, now_iso, run_id
# Puts a running attempt back on the queue at its original place, uncharged (a drain, or an
# operator). Returns 1, or 0 when the attempt no longer owns the job.
HAND_BACK = (
    QUEUE
    + NOTIFY
    + TAKE_BACK
    + """
if redis.call('HGET', KEYS[1], 'claim') ~= ARGV[1] then return 0 end
take_back(KEYS[1], KEYS[5], KEYS[3], ARGV[3])
redis.call('HSET', KEYS[1], 'status', 'pending', 'updated_at', ARGV[2], 'owner', '')
redis.call('HDEL', KEYS[1], 'claim')
redis.call('HINCRBY', KEYS[1], 'handbacks', 1)
redis.call('ZREM', KEYS[2], ARGV[3])
queue(KEYS[3], KEYS[4], ARGV[3], redis.call('HGET', KEYS[1], 'enqueued_ms') or '0')
notify(KEYS[5])
return 1
"""
)

# KEYS: job, leases, pending, wake, tombstone, checkpoint, notify
# ARGV: token, now_iso, run_id, delay_ms, max_attempts, error, ttl, tombstone_ttl, give_up_code
# A transient failure (a dependency out of reach): the attempt is charged and the job waits
# `delay_ms` on the queue, or fails with the cause once its failed attempts reach max_attempts.
# Returns 'pending' | 'failed' | 'refused'
RETRY_LATER = (
    NOW_MS
    + END_JOB
    + QUEUE
    + NOTIFY
    + TAKE_BACK
    + """
if redis.call('HGET', KEYS[1], 'claim') ~= ARGV[1] then return 'refused' end
take_back(KEYS[1], KEYS[7], KEYS[3], ARGV[3])
redis.call('ZREM', KEYS[2], ARGV[3])
local failed = redis.call('HINCRBY', KEYS[1], 'failed_attempts', 1)
if failed >= tonumber(ARGV[5]) then
  redis.call('HSET', KEYS[1], 'status', 'failed', 'finished_at', ARGV[2], 'updated_at', ARGV[2],
    'owner', '', 'error', ARGV[6] .. ' (gave up after ' .. failed .. ' attempts, MAX_ATTEMPTS='
    .. ARGV[5] .. ')', 'error_code', ARGV[9])
  end_job(KEYS[1], KEYS[5], KEYS[6], ARGV[7], ARGV[8])
  notify(KEYS[7])
  return 'failed'
end
redis.call('HSET', KEYS[1], 'status', 'pending', 'updated_at', ARGV[2], 'owner', '',
  'error', 'will retry: ' .. ARGV[6])
redis.call('HDEL', KEYS[1], 'claim')
queue(KEYS[3], KEYS[4], ARGV[3], now_ms + tonumber(ARGV[4]))
notify(KEYS[7])
return 'pending'
"""
)
