-- Takes one place of a call's per-call claim limit (ActorPolicy.MaxClaimsPerCall), or none.
-- KEYS[1] the call's counter {k:<call id>}: how many places its claims hold (successful claims + claims in flight).
-- ARGV[1] the limit, ARGV[2] how long the count lives after the call's first claim, in ms.
-- -> 1 taken | 0 the call has used every place
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used >= tonumber(ARGV[1]) then
  return 0
end
redis.call('INCR', KEYS[1])
if used == 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1
