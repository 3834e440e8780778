"""Lua for operator actions that the runner never takes (see scripts.py for the runner's)."""

from __future__ import annotations

# Server time in milliseconds, as the queue scores of scripts.py use.
_NOW_MS = """
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# KEYS: job, pending, wake, tombstone   ARGV: now_iso, run_id, ttl, tombstone_ttl
# A failed job goes back to the end of the pending queue for another run, in one step: the
# error is cleared, attempts keep counting (a crash budget already spent is not renewed), and
# the record and its Idempotency-Key lose their TTL again while the job is live.
# Returns 1, or the current status when the job is not failed.
RETRY_FAILED = (
    _NOW_MS
    + """
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'failed' then return status or '' end
redis.call('HSET', KEYS[1], 'status', 'pending', 'updated_at', ARGV[1], 'owner', '',
  'progress', '0.0', 'phase', '', 'enqueued_ms', now_ms)
redis.call('HDEL', KEYS[1], 'error', 'finished_at', 'started_at', 'finished_claim', 'claim')
redis.call('PERSIST', KEYS[1])
local idem = redis.call('HGET', KEYS[1], 'idem')
if idem then redis.call('PERSIST', idem) end
redis.call('SET', KEYS[4], '1', 'EX', ARGV[4])
redis.call('ZADD', KEYS[2], now_ms, ARGV[2])
redis.call('LPUSH', KEYS[3], '1')
redis.call('LTRIM', KEYS[3], 0, 63)
return 1
"""
)
