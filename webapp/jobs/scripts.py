"""Lua scripts that change job state in Redis.

Each status change is one script: Redis runs a script atomically, so the check of the current
state (a compare-and-set on `status` and on the attempt number, which is the fencing token) and
its companion writes (queue, lease, result, TTLs) can never interleave with another process.
WATCH/MULTI would do the same with more round trips and retry loops under contention.

Lease and queue scores use the Redis server's clock (TIME), so hosts with skewed clocks still
agree on when a lease has run out. The ISO timestamps shown to users come from the caller.
"""

from __future__ import annotations

# Shared prelude: server time in milliseconds.
_NOW_MS = """
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# KEYS: job, tombstone, pending, wake, idempotency-or-empty
# ARGV: ttl, tombstone_ttl, body_digest, run_id, field1, value1, ...
# Returns {'created', run_id} | {'exists', run_id} | {'idempotent', stored_value}
SUBMIT = (
    _NOW_MS
    + """
if KEYS[5] ~= '' then
  local existing = redis.call('GET', KEYS[5])
  if existing then return {'idempotent', existing} end
end
if redis.call('EXISTS', KEYS[1]) == 1 then return {'exists', ARGV[4]} end
redis.call('HSET', KEYS[1], 'enqueued_ms', now_ms, unpack(ARGV, 5))
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], '1', 'EX', ARGV[2])
redis.call('ZADD', KEYS[3], now_ms, ARGV[4])
redis.call('LPUSH', KEYS[4], '1')
redis.call('LTRIM', KEYS[4], 0, 63)
if KEYS[5] ~= '' then
  redis.call('SET', KEYS[5], ARGV[4] .. '\\n' .. ARGV[3], 'EX', ARGV[1])
end
return {'created', ARGV[4]}
"""
)

# claim_next(pending, leases, wake, prefix, lease_ms, owner, now_iso, now_ms): pops pending ids
# until one whose record is still pending; marks it running with attempts+1 and takes its lease.
# On an empty queue every wake-up token left is stale (its job was taken by a thread that
# claimed it with its last job's final write), so the tokens are dropped: idle dispatchers would
# otherwise wake once per token for nothing.
# Returns false | {run_id, attempts, hgetall...}
_CLAIM_NEXT = """
local function claim_next(pending, leases, wake, prefix, lease_ms, owner, now_iso, now_ms)
  for _ = 1, 100 do
    local popped = redis.call('ZPOPMIN', pending)
    if #popped == 0 then
      redis.call('DEL', wake)
      return false
    end
    local run_id = popped[1]
    local job = prefix .. ':job:' .. run_id
    if redis.call('HGET', job, 'status') == 'pending' then
      local attempts = redis.call('HINCRBY', job, 'attempts', 1)
      redis.call('HSET', job, 'status', 'running', 'started_at', now_iso, 'updated_at', now_iso,
        'owner', owner, 'progress', '0.0', 'phase', '')
      redis.call('HDEL', job, 'error')
      redis.call('ZADD', leases, now_ms + tonumber(lease_ms), run_id)
      return {run_id, attempts, redis.call('HGETALL', job)}
    end
  end
  return false
end
"""

# KEYS: pending, leases, wake
# ARGV: key_prefix, lease_ms, owner, now_iso
# Returns false | {run_id, attempts, hgetall...}
CLAIM = (
    _NOW_MS
    + _CLAIM_NEXT
    + "return claim_next(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3], ARGV[4], now_ms)\n"
)

# KEYS: job
# ARGV: attempt, progress, phase, now_iso
# Returns 1 when written, 0 when the attempt no longer owns the job (fenced).
PROGRESS = """
if redis.call('HGET', KEYS[1], 'status') ~= 'running'
   or redis.call('HGET', KEYS[1], 'attempts') ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'progress', ARGV[2], 'phase', ARGV[3], 'updated_at', ARGV[4])
return 1
"""

# KEYS: job, checkpoint
# ARGV: attempt, blob, ttl
# Stores resume state only for the attempt that owns the job: 1, or 0 when fenced.
CHECKPOINT = """
if redis.call('HGET', KEYS[1], 'status') ~= 'running'
   or redis.call('HGET', KEYS[1], 'attempts') ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
return 1
"""

# KEYS: leases
# ARGV: key_prefix, lease_ms, run_id1, attempt1, run_id2, attempt2, ...
# Extends the lease of every listed attempt that still owns its job; returns the ids that do not.
HEARTBEAT = (
    _NOW_MS
    + """
local lost = {}
for i = 3, #ARGV, 2 do
  local run_id, attempt = ARGV[i], ARGV[i + 1]
  local job = ARGV[1] .. ':job:' .. run_id
  if redis.call('HGET', job, 'status') == 'running'
     and redis.call('HGET', job, 'attempts') == attempt then
    redis.call('ZADD', KEYS[1], 'XX', now_ms + tonumber(ARGV[2]), run_id)
  else
    table.insert(lost, run_id)
  end
end
return lost
"""
)

# finish(job, result, leases, checkpoint, tombstone, attempt, new_status, now_iso, ttl,
#        tombstone_ttl, run_id, error, result_blob): ends a running attempt as complete or failed.
# Returns {'ok'} | {'already'} | {'refused', status, attempts}
_FINISH = """
local function finish(job, result, leases, checkpoint, tombstone, attempt, new_status, now_iso,
                      ttl, tombstone_ttl, run_id, error, result_blob)
  local status = redis.call('HGET', job, 'status')
  local attempts = redis.call('HGET', job, 'attempts')
  if status == new_status and attempts == attempt then return {'already'} end
  if status ~= 'running' or attempts ~= attempt then
    return {'refused', status or '', attempts or ''}
  end
  redis.call('HSET', job, 'status', new_status, 'finished_at', now_iso, 'updated_at', now_iso,
    'owner', '')
  if new_status == 'complete' then
    redis.call('HSET', job, 'progress', '1.0')
    redis.call('SET', result, result_blob, 'EX', ttl)
  else
    redis.call('HSET', job, 'error', error)
  end
  redis.call('EXPIRE', job, ttl)
  redis.call('SET', tombstone, '1', 'EX', tombstone_ttl)
  redis.call('ZREM', leases, run_id)
  redis.call('DEL', checkpoint)
  return {'ok'}
end
"""
_FINISH_CALL = (
    "local finished = finish(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], ARGV[1], ARGV[2], "
    "ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8])\n"
)

# KEYS: job, result, leases, checkpoint, tombstone
# ARGV: attempt, new_status, now_iso, ttl, tombstone_ttl, run_id, error, result_blob
# Returns {'ok'} | {'already'} | {'refused', status, attempts}
FINISH = _FINISH + _FINISH_CALL + "return finished\n"

# FINISH, then (unless refused) CLAIM for the same process in the same round trip: an executor
# thread that ends a job while the queue has work goes straight on to the next one.
# KEYS: job, result, leases, checkpoint, tombstone, pending, wake
# ARGV: FINISH's eight, then key_prefix, lease_ms, owner
# Returns {finish reply, claim reply (nil when the queue is empty or the finish was refused)}
FINISH_AND_CLAIM = (
    _NOW_MS
    + _FINISH
    + _CLAIM_NEXT
    + _FINISH_CALL
    + """
if finished[1] == 'refused' then return {finished, false} end
return {finished,
  claim_next(KEYS[6], KEYS[3], KEYS[7], ARGV[9], ARGV[10], ARGV[11], ARGV[3], now_ms)}
"""
)

# KEYS: job, leases, pending, wake
# ARGV: attempt, now_iso, run_id, counts_against_budget ('0' | '1')
# Puts a running attempt back on the queue at its original place. Returns 1, or 0 when refused.
HAND_BACK = """
if redis.call('HGET', KEYS[1], 'status') ~= 'running'
   or redis.call('HGET', KEYS[1], 'attempts') ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'status', 'pending', 'updated_at', ARGV[2], 'owner', '')
if ARGV[4] == '0' then redis.call('HINCRBY', KEYS[1], 'handbacks', 1) end
redis.call('ZREM', KEYS[2], ARGV[3])
local score = redis.call('HGET', KEYS[1], 'enqueued_ms') or '0'
redis.call('ZADD', KEYS[3], score, ARGV[3])
redis.call('LPUSH', KEYS[4], '1')
redis.call('LTRIM', KEYS[4], 0, 63)
return 1
"""

# KEYS: leases, pending, wake
# ARGV: key_prefix, max_attempts, now_iso, ttl, tombstone_ttl, limit
# Every attempt whose lease ran out goes back to pending, or to failed once its attempts that
# ended without a word (not hand-backs) reach max_attempts. Returns {run_id, outcome, ...}.
RECLAIM = (
    _NOW_MS
    + """
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now_ms, 'LIMIT', 0, tonumber(ARGV[6]))
local out = {}
for _, run_id in ipairs(expired) do
  redis.call('ZREM', KEYS[1], run_id)
  local job = ARGV[1] .. ':job:' .. run_id
  if redis.call('HGET', job, 'status') == 'running' then
    local attempts = tonumber(redis.call('HGET', job, 'attempts') or '0')
    local handbacks = tonumber(redis.call('HGET', job, 'handbacks') or '0')
    if attempts - handbacks >= tonumber(ARGV[2]) then
      redis.call('HSET', job, 'status', 'failed', 'finished_at', ARGV[3], 'updated_at', ARGV[3],
        'owner', '', 'error', 'the job stopped its process without finishing ' ..
        (attempts - handbacks) .. ' times (MAX_ATTEMPTS=' .. ARGV[2] .. ')')
      redis.call('EXPIRE', job, ARGV[4])
      redis.call('SET', ARGV[1] .. ':tomb:' .. run_id, '1', 'EX', ARGV[5])
      redis.call('DEL', job .. ':checkpoint')
      table.insert(out, run_id)
      table.insert(out, 'failed')
    else
      redis.call('HSET', job, 'status', 'pending', 'updated_at', ARGV[3], 'owner', '')
      local score = redis.call('HGET', job, 'enqueued_ms') or '0'
      redis.call('ZADD', KEYS[2], score, run_id)
      redis.call('LPUSH', KEYS[3], '1')
      redis.call('LTRIM', KEYS[3], 0, 63)
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
