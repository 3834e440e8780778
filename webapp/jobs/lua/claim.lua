local pending, leases, wake, claimed = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local job_prefix, lease_ms, owner, now_iso, token, notify_suffix = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
-- Takes the oldest due pending job for `token` (attempts+1, lease taken), or returns the job
-- this token already took (a claim sent again after its reply was lost); `claimed` remembers
-- it for a lease. On an empty queue the wake-up tokens left are stale and dropped, so idle
-- dispatchers do not wake once per token for nothing.
-- Returns false | {run_id, attempts, hgetall...}
local function reply(run_id, job)
  return {run_id, redis.call('HGET', job, 'attempts'), redis.call('HGETALL', job)}
end
local prior = redis.call('GET', claimed)
if prior then
  local job = job_prefix .. prior
  if redis.call('HGET', job, 'claim') == token
     and redis.call('HGET', job, 'status') == 'running' then
    return reply(prior, job)
  end
  return false
end
local now = now_ms()
for _ = 1, 100 do
  local due = redis.call('ZRANGEBYSCORE', pending, '-inf', now, 'LIMIT', 0, 1)
  if #due == 0 then
    redis.call('DEL', wake)
    return false
  end
  local run_id = due[1]
  redis.call('ZREM', pending, run_id)
  local job = job_prefix .. run_id
  if redis.call('HGET', job, 'status') == 'pending' then
    redis.call('HINCRBY', job, 'attempts', 1)
    redis.call('HSET', job, 'status', 'running', 'claim', token, 'started_at', now_iso,
      'updated_at', now_iso, 'owner', owner, 'progress', '0.0', 'phase', '')
    redis.call('HDEL', job, 'error', 'error_code')
    redis.call('ZADD', leases, now + tonumber(lease_ms), run_id)
    redis.call('SET', claimed, run_id, 'PX', lease_ms)
    notify(job .. notify_suffix)
    return reply(run_id, job)
  end
end
return false
