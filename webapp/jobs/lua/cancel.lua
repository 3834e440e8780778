local job, leases, pending, tombstone, checkpoint, notice = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local run_id, message, error_code, now_iso, ttl, tombstone_ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
-- DELETE /optimize/<run_id>: a pending or running job ends failed with `error_code` and leaves the
-- queue and the leases at once. Deleting the record's claim fences the running attempt: its next
-- progress write or heartbeat finds the job lost and stops it, and its final write is refused.
-- Returns {'cancelled', previous_status} | {'final', status} | {'missing'}
local status = redis.call('HGET', job, 'status')
if not status then return {'missing'} end
if status ~= 'pending' and status ~= 'running' then return {'final', status} end
unqueue(job, pending, run_id)
redis.call('ZREM', leases, run_id)
redis.call('HSET', job, 'status', 'failed', 'finished_at', now_iso, 'updated_at', now_iso,
  'owner', '', 'error', message, 'error_code', error_code)
end_job(job, tombstone, checkpoint, ttl, tombstone_ttl)
notify(notice)
return {'cancelled', status}
