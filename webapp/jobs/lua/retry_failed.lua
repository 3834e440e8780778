local job, pending, wake, tombstone = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local run_id, cancelled_code, now_iso, ttl, tombstone_ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
-- An operator's retry: a failed job goes back to the end of the pending queue, in one step. Its
-- error and error_code are cleared, attempts keep counting (a crash budget already spent is not
-- renewed), and the record and its Idempotency-Key lose their TTL again while the job is live.
-- A job its client cancelled (error_code `cancelled_code`) stays as the client left it.
-- Returns 1, or why not: the current status, `cancelled_code`, or '' when there is no job.
local status = redis.call('HGET', job, 'status')
if status ~= 'failed' then return status or '' end
if redis.call('HGET', job, 'error_code') == cancelled_code then return cancelled_code end
local now = now_ms()
redis.call('HSET', job, 'status', 'pending', 'updated_at', now_iso, 'owner', '',
  'progress', '0.0', 'phase', '', 'enqueued_ms', now)
redis.call('HDEL', job, 'error', 'error_code', 'finished_at', 'started_at', 'finished_claim', 'claim')
redis.call('PERSIST', job)
local idem = redis.call('HGET', job, 'idem')
if idem then redis.call('PERSIST', idem) end
mark_tombstone(job, tombstone, tombstone_ttl)
queue(job, pending, wake, run_id, now)
return 1
