local job, leases, pending, wake, notice = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local token, now_iso, run_id = ARGV[1], ARGV[2], ARGV[3]
-- Puts a running attempt back on the queue at its original place, uncharged (a drain, an
-- operator, or a claim whose reply was lost). Returns 1, or 0 when the attempt no longer owns
-- the job.
if redis.call('HGET', job, 'claim') ~= token then return 0 end
take_back(job, notice, pending, run_id)
redis.call('HSET', job, 'status', 'pending', 'updated_at', now_iso, 'owner', '')
redis.call('HDEL', job, 'claim')
redis.call('HINCRBY', job, 'handbacks', 1)
redis.call('ZREM', leases, run_id)
queue(job, pending, wake, run_id, redis.call('HGET', job, 'enqueued_ms') or '0')
notify(notice)
return 1
