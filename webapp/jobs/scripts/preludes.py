"""Lua functions the job scripts share, prepended to the scripts that call them."""

from __future__ import annotations

from webapp.jobs.keys import NOTIFY_TTL_MS

# Server time in milliseconds: queue and lease scores use Redis's clock.
NOW_MS = """
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# Tells status waiters (GET ?wait=N) that the job's status changed: one token on its notify list
# (`keys.notify`), which lives NOTIFY_TTL_MS so a waiter that starts a moment later still sees it.
NOTIFY = f"""
local function notify(key)
  redis.call('LPUSH', key, '1')
  redis.call('LTRIM', key, 0, 0)
  redis.call('PEXPIRE', key, {NOTIFY_TTL_MS})
end
"""

# Ends a job (complete or failed): its record, idempotency key and tombstone start their TTLs.
END_JOB = """
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
QUEUE = """
local function queue(pending, wake, run_id, due_ms)
  redis.call('ZADD', pending, due_ms, run_id)
  redis.call('LPUSH', wake, '1')
  redis.call('LTRIM', wake, 0, 63)
end
"""

# A job recovery requeued while its attempt was cut off from Redis, taken back by that attempt:
# off the queue again, and the failed attempt recovery charged is refunded (needs NOTIFY).
TAKE_BACK = """
local function take_back(job, notify_key, pending, run_id)
  if redis.call('HGET', job, 'status') ~= 'pending' then return false end
  redis.call('ZREM', pending, run_id)
  notify(notify_key)
  if tonumber(redis.call('HGET', job, 'failed_attempts') or '0') > 0 then
    redis.call('HINCRBY', job, 'failed_attempts', -1)
  end
  return true
end
"""
