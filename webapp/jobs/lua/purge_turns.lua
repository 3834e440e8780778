local pending = KEYS[1]
-- An operator's purge, on the turns: drops every tenant that may leave them (nothing queued,
-- its turn come round: the claim's rule, `leaves_turns`); a tenant whose turn is ahead keeps
-- its place. Returns how many tenants left.
local turns = pending .. TURNS_SUFFIX
local clock = tonumber(redis.call('GET', pending .. TURNS_CLOCK_SUFFIX) or '0')
local waiting = redis.call('ZRANGE', turns, 0, -1, 'WITHSCORES')
local removed = 0
for i = 1, #waiting, 2 do
  local tenant = waiting[i]
  if leaves_turns(pending, tenant, tonumber(waiting[i + 1]), clock) then
    removed = removed + redis.call('ZREM', turns, tenant)
  end
end
return removed
