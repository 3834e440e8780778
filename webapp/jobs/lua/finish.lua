local job, result, leases, checkpoint, tombstone, pending, notice = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local token, status, now_iso, ttl, tombstone_ttl, run_id, message, result_blob, error_code = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]
-- Ends an attempt as complete or failed. Accepted while the job runs on this token, or was
-- requeued by recovery and no other attempt has claimed it since. The same attempt's finish sent
-- again answers 'already' and writes its claim again (the same value), so that a WAIT after it
-- on another connection covers the first finish's writes.
-- Returns {'ok'} | {'already'} | {'vanished'} (Redis lost the job) | {'refused', status}
if redis.call('HGET', job, 'finished_claim') == token
   and redis.call('HGET', job, 'status') == status then
  redis.call('HSET', job, 'finished_claim', token)
  return {'already'}
end
if redis.call('HGET', job, 'claim') ~= token then
  if vanished(job, tombstone) then return {'vanished'} end
  return {'refused', redis.call('HGET', job, 'status') or ''}
end
take_back(job, notice, pending, run_id)
redis.call('HSET', job, 'status', status, 'finished_at', now_iso, 'updated_at', now_iso,
  'owner', '', 'finished_claim', token)
if status == 'complete' then
  redis.call('HSET', job, 'progress', '1.0')
  redis.call('SET', result, result_blob, 'EX', ttl)
else
  redis.call('HSET', job, 'error', message, 'error_code', error_code)
end
end_job(job, tombstone, checkpoint, ttl, tombstone_ttl)
redis.call('ZREM', leases, run_id)
notify(notice)
return {'ok'}
