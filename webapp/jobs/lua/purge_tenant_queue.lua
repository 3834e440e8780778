local pending, queue = KEYS[1], KEYS[2]
local run_ids = {unpack(ARGV, 1)}
-- An operator's purge, on one tenant's queue: of `run_ids` (read from it), drops the entries
-- whose job is off the global queue (its record gone, so the purge took it off there, or queued
-- by hand), as a claim does when it reaches them. Checked and dropped in one step, so a job
-- queued again meanwhile keeps its place. Returns how many were dropped.
local removed = 0
for _, run_id in ipairs(run_ids) do
  if not redis.call('ZSCORE', pending, run_id) then
    removed = removed + redis.call('ZREM', queue, run_id)
  end
end
return removed
