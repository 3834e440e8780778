local job, pending, wake = KEYS[1], KEYS[2], KEYS[3]
local run_id = ARGV[1]
-- Settles an unconfirmed job as accepted, once WAIT saw enough replicas hold it (its submitter's
-- WAIT, or a replay's): due at its submit time again, and an idle dispatcher wakes.
-- Returns 'confirmed', or 'missing' when the job is not there (withdrawn, or lost by Redis).
if redis.call('EXISTS', job) == 0 then return 'missing' end
if redis.call('HDEL', job, 'unconfirmed_until_ms') == 1
   and redis.call('HGET', job, 'status') == 'pending' then
  queue(job, pending, wake, run_id, redis.call('HGET', job, 'enqueued_ms'))
end
return 'confirmed'
