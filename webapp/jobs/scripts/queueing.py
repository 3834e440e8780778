"""Lua for a job entering the queue (submit, or withdraw an unconfirmed one) and leaving it
(claimed by an attempt)."""

from __future__ import annotations

from webapp.jobs.scripts.preludes import NOTIFY, NOW_MS, QUEUE

# KEYS: job, tombstone, pending, wake, idempotency-or-empty
# ARGV: tombstone_ttl, body_digest, run_id, field1, value1, ...
# Returns {'created', run_id} | {'exists', run_id} | {'idempotent', stored_value}
SUBMIT = (
    NOW_MS
    + QUEUE
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

# KEYS: pending, leases, wake, claim
# ARGV: job_prefix, lease_ms, owner, now_iso, token, notify_suffix
# Takes the oldest due pending job for `token` (attempts+1, lease taken), or returns the job this
# token already took (a retry after a lost reply). On an empty queue the wake-up tokens left are
# stale and dropped, so idle dispatchers do not wake once per token for nothing.
# Returns false | {run_id, attempts, hgetall...}
CLAIM = (
    NOW_MS
    + NOTIFY
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
    notify(job .. ARGV[6])
    return reply(run_id, job)
  end
end
return false
"""
)
