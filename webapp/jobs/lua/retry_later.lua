local job, leases, pending, wake, tombstone, checkpoint, notice = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local token, now_iso, run_id, delay_ms, max_attempts, message, ttl, tombstone_ttl, give_up_code = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]
-- A failure worth another try (a dependency out of reach, a crashed compute process): the
-- attempt is charged and the job waits `delay_ms` on the queue, or fails with the cause and
-- `give_up_code` once its failed attempts reach max_attempts.
-- Returns 'pending' | 'failed' | 'vanished' (Redis lost the job) | 'refused'
if redis.call('HGET', job, 'claim') ~= token then
  if vanished(job, tombstone) then return 'vanished' end
  return 'refused'
end
take_back(job, notice, pending, run_id)
redis.call('ZREM', leases, run_id)
local failed = redis.call('HINCRBY', job, 'failed_attempts', 1)
if failed >= tonumber(max_attempts) then
  redis.call('HSET', job, 'status', 'failed', 'finished_at', now_iso, 'updated_at', now_iso,
    'owner', '', 'error', message .. ' (gave up after ' .. failed .. ' attempts, MAX_ATTEMPTS='
    .. max_attempts .. ')', 'error_code', give_up_code)
  end_job(job, tombstone, checkpoint, ttl, tombstone_ttl)
  notify(notice)
  return 'failed'
end
redis.call('HSET', job, 'status', 'pending', 'updated_at', now_iso, 'owner', '', 'phase', '',
  'error', 'will retry: ' .. message)
redis.call('HDEL', job, 'claim')
queue(job, pending, wake, run_id, now_ms() + tonumber(delay_ms))
notify(notice)
return 'pending'
