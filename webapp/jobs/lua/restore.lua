local job, tombstone, leases = KEYS[1], KEYS[2], KEYS[3]
local run_id, owner, lease_ms, tombstone_ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local fields = {unpack(ARGV, 5)}
-- Writes back a running job that Redis lost (record and tombstone gone) from what its attempt's
-- claim read (`fields`): running again under the same claim token, with its lease, its
-- tombstone, and its Idempotency-Key if it had one and no other job took the key meanwhile.
-- Returns 1 when written back, 0 when the job is there after all (or expired: it keeps its
-- tombstone).
if not vanished(job, tombstone) then return 0 end
redis.call('HSET', job, unpack(fields))
redis.call('HSET', job, 'status', 'running', 'owner', owner)
mark_tombstone(job, tombstone, tombstone_ttl)
redis.call('ZADD', leases, now_ms() + tonumber(lease_ms), run_id)
local idem, digest = redis.call('HGET', job, 'idem'), redis.call('HGET', job, 'idem_digest')
if idem and digest then redis.call('SET', idem, run_id .. '\n' .. digest, 'NX') end
return 1
