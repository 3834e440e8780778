local job, tombstone, leases = KEYS[1], KEYS[2], KEYS[3]
local run_id, owner, lease_ms, tombstone_ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local fields = {unpack(ARGV, 5)}
-- Writes back a running job that Redis lost (record and tombstone gone) from what its attempt's
-- claim read (`fields`, see `write_back`): running again under the same claim token, with its
-- lease. Returns 1 when written back, 0 when the job is there after all (or expired: it keeps
-- its tombstone).
if not vanished(job, tombstone) then return 0 end
write_back(job, tombstone, tombstone_ttl, run_id, fields)
redis.call('HSET', job, 'status', 'running', 'owner', owner)
redis.call('ZADD', leases, now_ms() + tonumber(lease_ms), run_id)
return 1
