local leases, pending = KEYS[1], KEYS[2]
local job_prefix, tombstone_prefix, lease_ms, owner, notify_suffix = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local attempts = {unpack(ARGV, 6)}
-- Extends the lease of every listed attempt (run_id, token, run_id, token, ...) that still owns
-- its job. An attempt whose job recovery requeued (its lease ran out while Redis was out of
-- reach) but no one claimed since takes it back, uncharged: its process never died.
-- Returns {lost, vanished}: the ids whose attempt lost its job (a job the attempt itself
-- finished is not lost), and the ids of jobs Redis lost (record and tombstone gone), which
-- their owner may write back.
local now = now_ms()
local lost, gone = {}, {}
for i = 1, #attempts, 2 do
  local run_id, token = attempts[i], attempts[i + 1]
  local job = job_prefix .. run_id
  if redis.call('HGET', job, 'claim') == token then
    if take_back(job, job .. notify_suffix, pending, run_id) then
      redis.call('HSET', job, 'status', 'running', 'owner', owner)
    end
    redis.call('ZADD', leases, now + tonumber(lease_ms), run_id)
  elseif vanished(job, tombstone_prefix .. run_id) then
    table.insert(gone, run_id)
  elseif redis.call('HGET', job, 'finished_claim') ~= token then
    table.insert(lost, run_id)
  end
end
return {lost, gone}
