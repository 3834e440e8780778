-- Functions the job scripts share. The loader (scripts.py) puts them, after the constants they
-- use (NOTIFY_TTL_MS from keys.py), before every script: a script calls what it needs.

-- Redis's clock in milliseconds: queue and lease scores use it, so hosts with skewed clocks agree
-- on when a job is due or a lease has run out.
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Tells status waiters (GET ?wait=N) that the job's status changed: one token on its notify
-- list, which lives NOTIFY_TTL_MS so that a waiter starting a moment later still sees it.
local function notify(notice)
  redis.call('LPUSH', notice, '1')
  redis.call('LTRIM', notice, 0, 0)
  redis.call('PEXPIRE', notice, NOTIFY_TTL_MS)
end

-- Every pending job is on the global queue (`pending`: what counts, lists and ages read) and on
-- its tenant's queue, with the same score; tenants with queued jobs take turns (`turns`, see
-- claim.lua). A job without a tenant is on the queue of tenant ''.
local function tenant_of(job)
  return redis.call('HGET', job, 'tenant') or ''
end

-- (Re)writes a job's tombstone, naming the job's tenant: once the record has expired the job
-- answers 410 to that tenant and 404 to any other, as its record did.
local function mark_tombstone(job, tombstone, tombstone_ttl)
  redis.call('SET', tombstone, TOMBSTONE_OWNER .. tenant_of(job), 'EX', tombstone_ttl)
end

-- Ends a job (complete or failed): its record, Idempotency-Key and tombstone start their TTLs,
-- and the step its last attempt reported (`phase`) is cleared: it described that attempt only.
local function end_job(job, tombstone, checkpoint, ttl, tombstone_ttl)
  redis.call('HDEL', job, 'claim')
  redis.call('HSET', job, 'phase', '')
  local idem = redis.call('HGET', job, 'idem')
  if idem then redis.call('EXPIRE', idem, ttl) end
  redis.call('EXPIRE', job, ttl)
  mark_tombstone(job, tombstone, tombstone_ttl)
  redis.call('DEL', checkpoint)
end

local function tenant_queue(pending, tenant)
  return pending .. TENANT_QUEUE_INFIX .. tenant
end

-- Puts a job (back) on the global and its tenant's queue, due at `due_ms`. A tenant not taking
-- turns yet joins at the turn of the tenant served last (the clock), so it goes before any
-- tenant served since that turn: before the tenant whose job now runs, never ahead of others
-- still waiting for their turn.
local function place(job, pending, run_id, due_ms)
  local tenant = tenant_of(job)
  redis.call('ZADD', pending, due_ms, run_id)
  redis.call('ZADD', tenant_queue(pending, tenant), due_ms, run_id)
  local clock = redis.call('GET', pending .. TURNS_CLOCK_SUFFIX) or '0'
  redis.call('ZADD', pending .. TURNS_SUFFIX, 'NX', clock, tenant)
end

-- A tenant with nothing queued leaves the turns once the clock has reached its turn: until
-- then it keeps its place, so a tenant whose queue runs dry now and then gains no turns by it.
local function leaves_turns(pending, tenant, turn, clock)
  return turn <= clock and redis.call('ZCARD', tenant_queue(pending, tenant)) == 0
end

-- Takes a job off the global and its tenant's queue (the claim drops a tenant with nothing
-- queued from the turns once its turn has come round).
local function unqueue(job, pending, run_id)
  redis.call('ZREM', pending, run_id)
  redis.call('ZREM', tenant_queue(pending, tenant_of(job)), run_id)
end

-- Puts a job (back) on the queue, due at `due_ms`, and wakes one idle dispatcher.
local function queue(job, pending, wake, run_id, due_ms)
  place(job, pending, run_id, due_ms)
  redis.call('LPUSH', wake, '1')
  redis.call('LTRIM', wake, 0, 63)
end

-- A job recovery requeued while its attempt was cut off from Redis, taken back by that attempt:
-- off the queue again, and the failed attempt recovery charged is refunded.
local function take_back(job, notice, pending, run_id)
  if redis.call('HGET', job, 'status') ~= 'pending' then return false end
  unqueue(job, pending, run_id)
  notify(notice)
  if tonumber(redis.call('HGET', job, 'failed_attempts') or '0') > 0 then
    redis.call('HINCRBY', job, 'failed_attempts', -1)
  end
  return true
end

-- True when Redis has lost the job (record and tombstone both gone: a restart from an older
-- snapshot, a failover to a replica that never had it). An expired job keeps its tombstone.
local function vanished(job, tombstone)
  return redis.call('EXISTS', job, tombstone) == 0
end

-- Writes back the record of a running job that Redis lost (`vanished`) from what its attempt's
-- claim read (`fields`), with its tombstone, and its Idempotency-Key if it had one and no other
-- job took the key meanwhile; the caller then sets the status the job goes on in.
local function write_back(job, tombstone, tombstone_ttl, run_id, fields)
  redis.call('HSET', job, unpack(fields))
  mark_tombstone(job, tombstone, tombstone_ttl)
  local idem, digest = redis.call('HGET', job, 'idem'), redis.call('HGET', job, 'idem_digest')
  if idem and digest then redis.call('SET', idem, run_id .. '\n' .. digest, 'NX') end
end
