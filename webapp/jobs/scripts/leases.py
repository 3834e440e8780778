"""Lua for the leases of running attempts: renewed by their process's heartbeat, and reclaimed
by recovery when they run out (the process died or lost Redis for a whole lease)."""

from __future__ import annotations

from webapp.jobs.scripts.preludes import END_JOB, NOTIFY, NOW_MS, QUEUE, TAKE_BACK

# KEYS: leases, pending
# ARGV: job_prefix, lease_ms, owner, now_iso, notify_suffix, run_id1, token1, run_id2, ...
# Extends the lease of every listed attempt that still owns its job. An attempt whose job was
# requeued by recovery (its lease ran out while Redis was out of reach) but not claimed since
# takes it back, uncharged: its process never died. Returns the ids whose attempt lost its job;
# a job that attempt itself finished is not lost.
HEARTBEAT = (
    NOW_MS
    + NOTIFY
    + TAKE_BACK
    + """
local lost = {}
for i = 6, #ARGV, 2 do
  local run_id, token = ARGV[i], ARGV[i + 1]
  local job = ARGV[1] .. run_id
  if redis.call('HGET', job, 'claim') == token then
    if take_back(job, job .. ARGV[5], KEYS[2], run_id) then
      redis.call('HSET', job, 'status', 'running', 'owner', ARGV[3])
    end
    redis.call('ZADD', KEYS[1], now_ms + tonumber(ARGV[2]), run_id)
  elseif redis.call('HGET', job, 'finished_claim') ~= token then
    table.insert(lost, run_id)
  end
end
return lost
"""
)

# KEYS: leases, pending, wake
# ARGV: job_prefix, tombstone_prefix, checkpoint_suffix, max_attempts, now_iso, ttl,
#       tombstone_ttl, limit, not_after_ms ('' for no bound), notify_suffix
# Runs only if Redis gets to it by not_after_ms (its own clock): a scan that was sent, then held
# up by a stalled Redis, would otherwise requeue jobs whose live owners are waiting to renew.
# Every attempt whose lease ran out is charged; its job goes back to pending (keeping the
# attempt's token, so that attempt may still finish or take it back until another claims it),
# or fails once its failed attempts reach max_attempts. Returns {run_id, outcome, ...}.
RECLAIM = (
    NOW_MS
    + END_JOB
    + QUEUE
    + NOTIFY
    + """
if ARGV[9] ~= '' and now_ms > tonumber(ARGV[9]) then return {} end
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now_ms, 'LIMIT', 0, tonumber(ARGV[8]))
local out = {}
for _, run_id in ipairs(expired) do
  redis.call('ZREM', KEYS[1], run_id)
  local job = ARGV[1] .. run_id
  if redis.call('HGET', job, 'status') == 'running' then
    local failed = redis.call('HINCRBY', job, 'failed_attempts', 1)
    if failed >= tonumber(ARGV[4]) then
      redis.call('HSET', job, 'status', 'failed', 'finished_at', ARGV[5], 'updated_at', ARGV[5],
        'owner', '', 'error', 'the job stopped its process without finishing ' .. failed ..
        ' times (MAX_ATTEMPTS=' .. ARGV[4] .. ')', 'error_code', 'worker_lost')
      end_job(job, ARGV[2] .. run_id, job .. ARGV[3], ARGV[6], ARGV[7])
      table.insert(out, run_id)
      notify(job .. ARGV[10])
      table.insert(out, 'failed')
    else
      redis.call('HSET', job, 'status', 'pending', 'updated_at', ARGV[5], 'owner', '')
      queue(KEYS[2], KEYS[3], run_id, redis.call('HGET', job, 'enqueued_ms') or '0')
      notify(job .. ARGV[10])
      table.insert(out, run_id)
      table.insert(out, 'pending')
    end
  end
end
return out
"""
)
