"""Lua scripts that change job state in Redis.

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
"""

from __future__ import annotations

from webapp.jobs.status_lua import NOTIFY as _NOTIFY
from webapp.jobs.status_lua import cancel_script

# Shared prelude: server time in milliseconds.
_NOW_MS = """
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# Ends a job (complete or failed): its record, idempotency key and tombstone start their TTLs.
# end_job(job, tombstone, checkpoint, ttl, tombstone_ttl)
_END_JOB = """
local function end_job(job, tombstone, checkpoint, ttl, tombstone_ttl)
  redis.call('HDEL', job, 'claim')
  local idem = redis.call('HGET', job, 'idem')
  if idem then redis.call('EXPIRE', idem, ttl) end
  redis.call('EXPIRE', job, ttl)
  redis.call('SET', tombstone, '1', 'EX', tombstone_ttl)
  redis.call('DEL', checkpoint)
end
"""

# Puts a job (back) on the queue, due at `due_ms`, and wakes one idle dispatcher.
_QUEUE = """
local function queue(pending, wake, run_id, due_ms)
  redis.call('ZADD', pending, due_ms, run_id)
  redis.call('LPUSH', wake, '1')
  redis.call('LTRIM', wake, 0, 63)
end
"""

# A job recovery requeued while its attempt was cut off from Redis, taken back by that attempt:
# off the queue again, and the failed attempt recovery charged is refunded (needs _NOTIFY).
_TAKE_BACK = """
local function take_back(job, pending, run_id)
  if redis.call('HGET', job, 'status') ~= 'pending' then return false end
  redis.call('ZREM', pending, run_id)
  notify(job)
  if tonumber(redis.call('HGET', job, 'failed_attempts') or '0') > 0 then
    redis.call('HINCRBY', job, 'failed_attempts', -1)
  end
  return true
end
"""

# KEYS: job, tombstone, pending, wake, idempotency-or-empty
# ARGV: tombstone_ttl, body_digest, run_id, field1, value1, ...
# Returns {'created', run_id} | {'exists', run_id} | {'idempotent', stored_value}
SUBMIT = (
    _NOW_MS
    + _QUEUE
    + """
if KEYS[5] ~= '' then
  local existing = redis.call('GET', KEYS[5])
  if existing then return {'idempotent', existing} end
end
if redis.call('EXISTS', KEYS[1]) == 1 then return {'exists', ARGV[3]} end
redis.call('HSET', KEYS[1], 'enqueued_ms', now_ms, unpack(ARGV, 4))
redis.call('SET', KEYS[2], '1', 'EX', ARGV[1])
if KEYS[5] ~= '' then
  redis.call('SET', KEYS[5], ARGV[3] .. '\\n' .. ARGV[2])
  redis.call('HSET', KEYS[1], 'idem', KEYS[5])
end
queue(KEYS[3], KEYS[4], ARGV[3], now_ms)
return {'created', ARGV[3]}
"""
)

# KEYS: pending, leases, wake, claim
# ARGV: job_prefix, lease_ms, owner, now_iso, token
# Takes the oldest due pending job for `token` (attempts+1, lease taken), or returns the job this
# token already took (a retry after a lost reply). On an empty queue the wake-up tokens left are
# stale and dropped, so idle dispatchers do not wake once per token for nothing.
# Returns false | {run_id, attempts, hgetall...}
CLAIM = (
    _NOW_MS
    + _NOTIFY
    + """
local function reply(run_id, job)
  return {run_id, redis.call('HGET', job, 'attempts'), redis.call('HGETALL', job)}
end
local prior = redis.call('GET', KEYS[4])
if prior then
  local job = ARGV[1] .. prior
  if redis.call('HGET', job, 'claim') == ARGV[5]
     and redis.call('HGET', job, 'status') == 'running' then
    return reply(prior, job)
  end
  return false
end
for _ = 1, 100 do
  local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now_ms, 'LIMIT', 0, 1)
  if #due == 0 then
    redis.call('DEL', KEYS[3])
    return false
  end
  local run_id = due[1]
  redis.call('ZREM', KEYS[1], run_id)
  local job = ARGV[1] .. run_id
  if redis.call('HGET', job, 'status') == 'pending' then
    redis.call('HINCRBY', job, 'attempts', 1)
    redis.call('HSET', job, 'status', 'running', 'claim', ARGV[5], 'started_at', ARGV[4],
      'updated_at', ARGV[4], 'owner', ARGV[3], 'progress', '0.0', 'phase', '')
    redis.call('HDEL', job, 'error', 'error_code')
    redis.call('ZADD', KEYS[2], now_ms + tonumber(ARGV[2]), run_id)
    redis.call('SET', KEYS[4], run_id, 'PX', ARGV[2])
    notify(job)
    return reply(run_id, job)
  end
end
return false
"""
)

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

# KEYS: leases, pending
# ARGV: job_prefix, lease_ms, owner, now_iso, run_id1, token1, run_id2, token2, ...
# Extends the lease of every listed attempt that still owns its job. An attempt whose job was
# requeued by recovery (its lease ran out while Redis was out of reach) but not claimed since
# takes it back, uncharged: its process never died. Returns the ids whose attempt lost its job;
# a job that attempt itself finished is not lost.
HEARTBEAT = (
    _NOW_MS
    + _NOTIFY
    + _TAKE_BACK
    + """
local lost = {}
for i = 5, #ARGV, 2 do
  local run_id, token = ARGV[i], ARGV[i + 1]
  local job = ARGV[1] .. run_id
  if redis.call('HGET', job, 'claim') == token then
    if take_back(job, KEYS[2], run_id) then
      redis.call('HSET', job, 'status', 'running', 'owner', ARGV[3])
    end
    redis.call('ZADD', KEYS[1], now_ms + tonumber(ARGV[2]), run_id)
  elseif redis.call('HGET', job, 'finished_claim') ~= token then
    table.insert(lost, run_id)
  end
end
return lost
"""
)

# KEYS: job, result, leases, checkpoint, tombstone, pending
# ARGV: token, new_status, now_iso, ttl, tombstone_ttl, run_id, error, result_blob, error_code
# Ends an attempt as complete or failed. Accepted while the job is running on this token, or was
# requeued by recovery and no other attempt has claimed it since.
# Returns {'ok'} | {'already'} | {'refused', status}
FINISH = (
    _END_JOB
    + _NOTIFY
    + _TAKE_BACK
    + """
if redis.call('HGET', KEYS[1], 'finished_claim') == ARGV[1] then
  if redis.call('HGET', KEYS[1], 'status') == ARGV[2] then return {'already'} end
end
if redis.call('HGET', KEYS[1], 'claim') ~= ARGV[1] then
  return {'refused', redis.call('HGET', KEYS[1], 'status') or ''}
end
take_back(KEYS[1], KEYS[6], ARGV[6])
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
notify(KEYS[1])
return {'ok'}
"""
)

# KEYS: job, leases, pending, wake
# ARGV: token, now_iso, run_id
# Puts a running attempt back on the queue at its original place, uncharged (a drain, or an
# operator). Returns 1, or 0 when the attempt no longer owns the job.
HAND_BACK = (
    _QUEUE
    + _NOTIFY
    + _TAKE_BACK
    + """
if redis.call('HGET', KEYS[1], 'claim') ~= ARGV[1] then return 0 end
take_back(KEYS[1], KEYS[3], ARGV[3])
redis.call('HSET', KEYS[1], 'status', 'pending', 'updated_at', ARGV[2], 'owner', '')
redis.call('HDEL', KEYS[1], 'claim')
redis.call('HINCRBY', KEYS[1], 'handbacks', 1)
redis.call('ZREM', KEYS[2], ARGV[3])
queue(KEYS[3], KEYS[4], ARGV[3], redis.call('HGET', KEYS[1], 'enqueued_ms') or '0')
notify(KEYS[1])
return 1
"""
)

# KEYS: job, leases, pending, wake, tombstone, checkpoint
# ARGV: token, now_iso, run_id, delay_ms, max_attempts, error, ttl, tombstone_ttl
# A transient failure (a dependency out of reach): the attempt is charged and the job waits
# `delay_ms` on the queue, or fails with the cause once its failed attempts reach max_attempts.
# Returns 'pending' | 'failed' | 'refused'
RETRY_LATER = (
    _NOW_MS
    + _END_JOB
    + _QUEUE
    + _NOTIFY
    + _TAKE_BACK
    + """
if redis.call('HGET', KEYS[1], 'claim') ~= ARGV[1] then return 'refused' end
take_back(KEYS[1], KEYS[3], ARGV[3])
redis.call('ZREM', KEYS[2], ARGV[3])
local failed = redis.call('HINCRBY', KEYS[1], 'failed_attempts', 1)
if failed >= tonumber(ARGV[5]) then
  redis.call('HSET', KEYS[1], 'status', 'failed', 'finished_at', ARGV[2], 'updated_at', ARGV[2],
    'owner', '', 'error', ARGV[6] .. ' (gave up after ' .. failed .. ' attempts, MAX_ATTEMPTS='
    .. ARGV[5] .. ')', 'error_code', 'gave_up')
  end_job(KEYS[1], KEYS[5], KEYS[6], ARGV[7], ARGV[8])
  notify(KEYS[1])
  return 'failed'
end
redis.call('HSET', KEYS[1], 'status', 'pending', 'updated_at', ARGV[2], 'owner', '',
  'error', 'will retry: ' .. ARGV[6])
redis.call('HDEL', KEYS[1], 'claim')
queue(KEYS[3], KEYS[4], ARGV[3], now_ms + tonumber(ARGV[4]))
notify(KEYS[1])
return 'pending'
"""
)

# KEYS: leases, pending, wake
# ARGV: job_prefix, tombstone_prefix, checkpoint_suffix, max_attempts, now_iso, ttl,
#       tombstone_ttl, limit, not_after_ms ('' for no bound)
# Runs only if Redis gets to it by not_after_ms (its own clock): a scan that was sent, then held
# up by a stalled Redis, would otherwise requeue jobs whose live owners are waiting to renew.
# Every attempt whose lease ran out is charged; its job goes back to pending (keeping the
# attempt's token, so that attempt may still finish or take it back until another claims it),
# or fails once its failed attempts reach max_attempts. Returns {run_id, outcome, ...}.
RECLAIM = (
    _NOW_MS
    + _END_JOB
    + _QUEUE
    + _NOTIFY
    + """
if ARGV[9] ~= '' and now_ms > tonumber(ARGV[9]) then return {} end
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now_ms, 'LIMIT', 0, tonumber(ARGV[8]))
local out = {}
for _, run_id in ipairs(expired) do
  redis.call('ZREM', KEYS[1], run_id)
  local job = ARGV[1] .. run_id
  if redis.call('HGET', job, 'status') == 'running' then
    local failed = redis.call('HINCRBY', job, 'failed_attempts', 1)
    if failed >= tonumber(ARGV[4]) then
      redis.call('HSET', job, 'status', 'failed', 'finished_at', ARGV[5], 'updated_at', ARGV[5],
        'owner', '', 'error', 'the job stopped its process without finishing ' .. failed ..
        ' times (MAX_ATTEMPTS=' .. ARGV[4] .. ')', 'error_code', 'worker_lost')
      end_job(job, ARGV[2] .. run_id, job .. ARGV[3], ARGV[6], ARGV[7])
      table.insert(out, run_id)
      notify(job)
      table.insert(out, 'failed')
    else
      redis.call('HSET', job, 'status', 'pending', 'updated_at', ARGV[5], 'owner', '')
      queue(KEYS[2], KEYS[3], run_id, redis.call('HGET', job, 'enqueued_ms') or '0')
      notify(job)
      table.insert(out, run_id)
      table.insert(out, 'pending')
    end
  end
end
return out
"""
)

# Withdraws a job that WAIT could not confirm on enough replicas, if no process has claimed it:
# the client was (or will be) told 503, so it must not run unless the client submits again.
# KEYS: job, tombstone, pending, idempotency-or-empty
# ARGV: run_id
# Returns 1 when withdrawn, 0 when the job is no longer pending (it stands).
WITHDRAW = """
if redis.call('HGET', KEYS[1], 'status') ~= 'pending' then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
if KEYS[4] ~= '' then
  local stored = redis.call('GET', KEYS[4])
  if stored and string.sub(stored, 1, #ARGV[1] + 1) == ARGV[1] .. '\\n' then
    redis.call('DEL', KEYS[4])
  end
end
return 1
"""

# DELETE /optimize/<run_id>: a pending or running job ends failed (see status_lua).
CANCEL = cancel_script(_END_JOB)
