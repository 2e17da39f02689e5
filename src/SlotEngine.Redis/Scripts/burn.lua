-- Before the quota entries of a failed keyed claim are given back: makes the lease (ARGV[4] nonce, ARGV[5] its
-- deadline ms) unusable on this calendar, unless a claim was already made under the nonce (a twin of the same
-- request). -> 1 burned (give the entries back) | 0 used by a claim (keep them)
local nonces = KEYS[4]
local v = redis.call('HGET', nonces, ARGV[4])
if v and string.sub(v, 1, 1) ~= 'x' then
  return 0
end
redis.call('HSET', nonces, ARGV[4], 'x' .. ARGV[5])
return 1
