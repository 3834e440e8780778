local job, leases, pending, wake, notice, tombstone = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local token, now_iso, run_id, tombstone_ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local fields = {unpack(ARGV, 5)}
-- Puts a running attempt back on the queue at its original place, uncharged (a drain, an
-- operator, or a claim whose reply was lost). A job Redis lost while the attempt ran (a
-- rollback: record and tombstone gone) is written back as pending from what the attempt's
-- claim read (`fields`, sent by the process running it: the only one that still holds its
-- input), so that another process runs it instead of its being lost. Returns 1, or 0 when the
-- attempt no longer owns the job (or Redis lost it and no `fields` came).
if redis.call('HGET', job, 'claim') == token then
  take_back(job, notice, pending, run_id)
elseif #fields > 0 and vanished(job, tombstone) then
  write_back(job, tombstone, tombstone_ttl, run_id, fields)
else
  return 0
end
redis.call('HSET', job, 'status', 'pending', 'updated_at', now_iso, 'owner', '', 'phase', '')
redis.call('HDEL', job, 'claim')
redis.call('HINCRBY', job, 'handbacks', 1)
redis.call('ZREM', leases, run_id)
queue(job, pending, wake, run_id, redis.call('HGET', job, 'enqueued_ms') or '0')
notify(notice)
return 1
