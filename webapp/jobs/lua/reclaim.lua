local leases, pending, wake = KEYS[1], KEYS[2], KEYS[3]
local job_prefix, tombstone_prefix, checkpoint_suffix, notify_suffix, max_attempts, now_iso, ttl, tombstone_ttl, limit, not_after_ms = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10]
-- Recovery: every attempt whose lease ran out (its process died, or lost Redis for a whole lease)
-- is charged; its job goes back to pending (keeping the attempt's token, so that attempt may still
-- finish or take it back until another claims it), or fails once its failed attempts reach
-- max_attempts. Runs only if Redis gets to it by `not_after_ms` (its own clock; '' for no
-- bound): a scan that was sent, then held up by a stalled Redis, would otherwise requeue jobs
-- whose live owners are waiting to renew.
-- Returns {run_id, outcome, ...}
local now = now_ms()
if not_after_ms ~= '' and now > tonumber(not_after_ms) then return {} end
local expired = redis.call('ZRANGEBYSCORE', leases, '-inf', now, 'LIMIT', 0, tonumber(limit))
local out = {}
for _, run_id in ipairs(expired) do
  redis.call('ZREM', leases, run_id)
  local job = job_prefix .. run_id
  if redis.call('HGET', job, 'status') == 'running' then
    local failed = redis.call('HINCRBY', job, 'failed_attempts', 1)
    if failed >= tonumber(max_attempts) then
      redis.call('HSET', job, 'status', 'failed', 'finished_at', now_iso, 'updated_at', now_iso,
        'owner', '', 'error', 'the job stopped its process without finishing ' .. failed ..
        ' times (MAX_ATTEMPTS=' .. max_attempts .. ')', 'error_code', 'worker_lost')
      end_job(job, tombstone_prefix .. run_id, job .. checkpoint_suffix, ttl, tombstone_ttl)
      table.insert(out, run_id)
      table.insert(out, 'failed')
    else
      redis.call('HSET', job, 'status', 'pending', 'updated_at', now_iso, 'owner', '', 'phase', '')
      queue(job, pending, wake, run_id, redis.call('HGET', job, 'enqueued_ms') or '0')
      table.insert(out, run_id)
      table.insert(out, 'pending')
    end
    notify(job .. notify_suffix)
  end
end
return out
