local job, tombstone, pending, wake, idempotency, own_queue, bucket = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local job_prefix, run_id, digest, tombstone_ttl, hold_ms, max_pending, rate_per_s, burst = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local fields = {unpack(ARGV, 9)}
-- A new job: its record (`fields`), its tombstone (so that once the record is gone the job reads
-- as expired, not unknown), its Idempotency-Key (`idempotency`, '' for none) and its place on
-- the queue.
-- With `hold_ms` > 0 the submitter WAITs for replicas before it answers: the job is marked
-- unconfirmed and queued due `hold_ms` from now, so no process claims it before `confirm` or
-- `withdraw` settles it (if the submitter dies in between, the job runs once the hold is over).
-- A known Idempotency-Key answers for its job while that job exists; a replay of a job still
-- unconfirmed writes to it, so the replay's own WAIT covers the job's writes. A key whose job is
-- gone (withdrawn, or lost by Redis) is taken by this submit.
-- A tenant's submit (`own_queue`, its tenant's queue, not '') passes its limits first, or stores
-- nothing: at most `max_pending` of its jobs queued (what its queue holds), and a token bucket of
-- `burst` tokens refilled at `rate_per_s`.
-- Returns {'created', run_id} | {'exists', run_id} | {'idempotent', stored} | {'unconfirmed', stored}
--   | {'limited', 'max_pending' | 'rate:<seconds to wait>'}
if idempotency ~= '' then
  local stored = redis.call('GET', idempotency)
  if stored then
    local known = job_prefix .. string.sub(stored, 1, string.find(stored, '\n', 1, true) - 1)
    local hold = redis.call('HGET', known, 'unconfirmed_until_ms')
    if hold then
      redis.call('HSET', known, 'unconfirmed_until_ms', hold)
      return {'unconfirmed', stored}
    end
    if redis.call('EXISTS', known) == 1 then return {'idempotent', stored} end
  end
end
if redis.call('EXISTS', job) == 1 then return {'exists', run_id} end
local now = now_ms()
if own_queue ~= '' then
  if redis.call('ZCARD', own_queue) >= tonumber(max_pending) then
    return {'limited', 'max_pending'}
  end
  local rate, size = tonumber(rate_per_s), tonumber(burst)
  local state = redis.call('HMGET', bucket, 'tokens', 'at_ms')
  local tokens = math.min(size, (tonumber(state[1]) or size) + (now - (tonumber(state[2]) or now)) * rate / 1000)
  if tokens < 1 then
    return {'limited', 'rate:' .. tostring(math.ceil((1 - tokens) / rate))}
  end
  redis.call('HSET', bucket, 'tokens', tostring(tokens - 1), 'at_ms', tostring(now))
  redis.call('PEXPIRE', bucket, math.ceil(size / rate * 1000) + 1000)
end
redis.call('HSET', job, 'enqueued_ms', now, unpack(fields))
mark_tombstone(job, tombstone, tombstone_ttl)
if idempotency ~= '' then
  redis.call('SET', idempotency, run_id .. '\n' .. digest)
  redis.call('HSET', job, 'idem', idempotency, 'idem_digest', digest)
end
if tonumber(hold_ms) > 0 then
  redis.call('HSET', job, 'unconfirmed_until_ms', now + tonumber(hold_ms))
  place(job, pending, run_id, now + tonumber(hold_ms))
else
  queue(job, pending, wake, run_id, now)
end
return {'created', run_id}
