-- Cancels a wish. KEYS[1] q, KEYS[2] s, KEYS[3] l, KEYS[4] f (when cancelled, ms, for wait_purge.lua); ARGV[1] id
-- -> {1} it was waiting (or leased: the lease's settle sees 'x' and releases any offer) | {2, reservation} it was
--    offered: the caller releases the hold if it is still one, then marks the wish 'x' | {0} unknown or over
local id = ARGV[1]
local state = redis.call('HGET', KEYS[2], id)
if not state or state == 'x' then return {0} end
if string.sub(state, 1, 1) == 'o' then return {2, string.sub(state, 2)} end
redis.call('HSET', KEYS[2], id, 'x')
redis.call('HSET', KEYS[4], id, now_ms())
if state == 'w' then
  redis.call('ZREM', KEYS[1], id)
  return {1}
end
if state == 'l' then
  redis.call('ZREM', KEYS[3], id)
  return {1}
end
return {0}
