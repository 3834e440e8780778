local job, tombstone, pending, idempotency = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local run_id = ARGV[1]
-- Withdraws a job that WAIT could not confirm on enough replicas: its client is told 503, so it
-- must not run unless the client submits again. A job no longer unconfirmed stands (a replay
-- confirmed it, or its hold ran out and a process claimed it). A job not there is not accepted
-- either: this Redis never had it (a failover to a replica that missed it) or it was withdrawn
-- already (a withdraw sent again after its reply was lost).
-- Returns 'withdrawn' | 'missing' | 'stands'
if redis.call('EXISTS', job) == 0 then return 'missing' end
if not redis.call('HGET', job, 'unconfirmed_until_ms')
   or redis.call('HGET', job, 'status') ~= 'pending' then
  return 'stands'
end
unqueue(job, pending, run_id)
redis.call('DEL', job, tombstone)
if idempotency ~= '' then
  local stored = redis.call('GET', idempotency)
  if stored and string.sub(stored, 1, #run_id + 1) == run_id .. '\n' then
    redis.call('DEL', idempotency)
  end
end
return 'withdrawn'
