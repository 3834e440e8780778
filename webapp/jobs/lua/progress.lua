local job, tombstone = KEYS[1], KEYS[2]
local token, progress, phase, now_iso = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
-- Writes an attempt's progress. Returns 1 when written, 0 when the attempt no longer owns the job
-- (fenced), and 1 without writing when Redis lost the job: its owner's heartbeat writes the
-- record back, so the attempt goes on.
if redis.call('HGET', job, 'claim') == token then
  redis.call('HSET', job, 'progress', progress, 'phase', phase, 'updated_at', now_iso)
  return 1
end
if vanished(job, tombstone) then return 1 end
return 0
