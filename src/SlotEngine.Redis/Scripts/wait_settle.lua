-- Ends a lease taken by wait_lease.lua: the wish was offered a slot ('o'), or goes back to its place ('b'), or goes
-- back with the reason its patient was refused ('r').
-- KEYS[1] q, KEYS[2] h, KEYS[3] s, KEYS[4] l, KEYS[5] r: hash id -> the last refusal (a ClaimStatus number)
-- ARGV[1] id, ARGV[2] 'o' | 'b' | 'r', ARGV[3] the reservation (for 'o') or the refusal (for 'r'), ARGV[4] the group
-- -> 1 settled | 2 the wish was cancelled meanwhile, so the offer must be released | 0 nothing (the lease had ended)
local id = ARGV[1]
redis.call('ZREM', KEYS[4], id)
local state = redis.call('HGET', KEYS[3], id)
if state ~= 'l' then
  if state == 'x' and ARGV[2] == 'o' then return 2 end
  return 0
end
if ARGV[2] == 'o' then
  redis.call('HSET', KEYS[3], id, 'o' .. ARGV[3])
  return 1
end
redis.call('HSET', KEYS[3], id, 'w')
redis.call('ZADD', KEYS[1], tonumber(ARGV[4]) * 1099511627776 + tonumber(id), id)
if ARGV[2] == 'r' then redis.call('HSET', KEYS[5], id, ARGV[3]) end
return 1
