local pending, leases, wake, claimed = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local job_prefix, lease_ms, owner, now_iso, token, notify_suffix = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
-- Takes a due pending job for `token` (attempts+1, lease taken), or returns the job this token
-- already took (a claim sent again after its reply was lost); `claimed` remembers it for a
-- lease. When nothing can be taken the wake-up tokens left are stale and dropped, so idle
-- dispatchers do not wake once per token for nothing.
-- Tenants take turns: of the tenants with a job due, the one at the lowest turn (`turns`)
-- gives its oldest due job and moves one turn on, so one tenant's backlog delays another's
-- job by at most one job per slot (a fair queue, each job counting one).
-- A tenant with its job's `max_running` jobs holding leases is passed over until one ends.
-- A pending job on the global queue whose tenant queue does not have it due (queued by hand,
-- or by an older version) is taken after those, in the global queue's order.
-- Returns false | {run_id, attempts, hgetall...}
local function reply(run_id, job)
  return {run_id, redis.call('HGET', job, 'attempts'), redis.call('HGETALL', job)}
end
local prior = redis.call('GET', claimed)
if prior then
  local job = job_prefix .. prior
  if redis.call('HGET', job, 'claim') == token
     and redis.call('HGET', job, 'status') == 'running' then
    return reply(prior, job)
  end
  return false
end
local now = now_ms()
local turns = pending .. TURNS_SUFFIX

local running -- tenant -> jobs holding a lease, counted once, when a limit is first met
local function at_limit(tenant, job)
  local limit = tonumber(redis.call('HGET', job, 'max_running') or '')
  if not limit then return false end
  if not running then
    running = {}
    for _, id in ipairs(redis.call('ZRANGE', leases, 0, -1)) do
      local owner_tenant = tenant_of(job_prefix .. id)
      running[owner_tenant] = (running[owner_tenant] or 0) + 1
    end
  end
  return (running[tenant] or 0) >= limit
end

local function start(run_id, job, tenant)
  unqueue(job, pending, run_id)
  local clock_key = pending .. TURNS_CLOCK_SUFFIX
  local turn = redis.call('ZSCORE', turns, tenant) or redis.call('GET', clock_key) or '0'
  redis.call('SET', clock_key, turn)
  redis.call('ZADD', turns, tonumber(turn) + 1, tenant)
  redis.call('HINCRBY', job, 'attempts', 1)
  redis.call('HSET', job, 'status', 'running', 'claim', token, 'started_at', now_iso,
    'updated_at', now_iso, 'owner', owner, 'progress', '0.0', 'phase', '')
  -- Claimed, the job stands: one its submitter never confirmed ran out its hold.
  redis.call('HDEL', job, 'error', 'error_code', 'unconfirmed_until_ms')
  redis.call('ZADD', leases, now + tonumber(lease_ms), run_id)
  redis.call('SET', claimed, run_id, 'PX', lease_ms)
  notify(job .. notify_suffix)
  return reply(run_id, job)
end

-- An entry whose job is no longer pending (ended, expired) is dropped from both queues; one off
-- the global queue is dropped from its tenant's. A tenant with nothing queued leaves the turns
-- as `leaves_turns` says.
local budget = 100
local clock = tonumber(redis.call('GET', pending .. TURNS_CLOCK_SUFFIX) or '0')
local waiting = redis.call('ZRANGE', turns, 0, -1, 'WITHSCORES')
for i = 1, #waiting, 2 do
  local tenant, turn = waiting[i], tonumber(waiting[i + 1])
  local own = tenant_queue(pending, tenant)
  while budget > 0 do
    local due = redis.call('ZRANGEBYSCORE', own, '-inf', now, 'LIMIT', 0, 1)
    if #due == 0 then
      if leaves_turns(pending, tenant, turn, clock) then redis.call('ZREM', turns, tenant) end
      break
    end
    local run_id = due[1]
    local job = job_prefix .. run_id
    if redis.call('HGET', job, 'status') ~= 'pending' then
      redis.call('ZREM', pending, run_id)
      redis.call('ZREM', own, run_id)
      budget = budget - 1
    elseif not redis.call('ZSCORE', pending, run_id) then
      redis.call('ZREM', own, run_id)
      budget = budget - 1
    elseif at_limit(tenant, job) then
      break
    else
      return start(run_id, job, tenant)
    end
  end
end
if budget > 0 then
  for _, run_id in ipairs(redis.call('ZRANGEBYSCORE', pending, '-inf', now, 'LIMIT', 0, budget)) do
    local job = job_prefix .. run_id
    if redis.call('HGET', job, 'status') ~= 'pending' then
      unqueue(job, pending, run_id)
    elseif not at_limit(tenant_of(job), job) then
      return start(run_id, job, tenant_of(job))
    end
  end
end
redis.call('DEL', wake)
return false
