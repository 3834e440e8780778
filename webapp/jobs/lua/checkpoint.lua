local job, checkpoint, tombstone = KEYS[1], KEYS[2], KEYS[3]
local token, blob, ttl = ARGV[1], ARGV[2], ARGV[3]
-- Stores resume state for the attempt that owns the job. Returns 1 when stored, 0 when fenced,
-- and 1 without storing when Redis lost the job (its owner writes the record back).
if redis.call('HGET', job, 'claim') == token then
  redis.call('SET', checkpoint, blob, 'EX', ttl)
  return 1
end
if vanished(job, tombstone) then return 1 end
return 0
