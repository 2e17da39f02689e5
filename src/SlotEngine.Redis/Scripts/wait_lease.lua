-- Leases the next waiting wish that matches a freed calendar: the first in (group, id) order whose date range holds
-- the day, whose length is at most the longest free run the caller saw, and that the caller has not already tried
-- in this pass. The wish leaves the queue for a lease ('l', deadline in KEYS[4]) while the caller claims the slot in
-- the calendar's shard; wait_settle.lua ends the lease. A lease whose caller died goes back to its place when it ends
-- (checked first, here), so a crash between the two steps delays a wish and never loses it.
-- KEYS[1] q, KEYS[2] h, KEYS[3] s (as in wait_register.lua), KEYS[4] l: zset of leased ids by lease deadline (ms)
-- ARGV[1] the day (yyyymmdd), ARGV[2] the longest length that fits, ARGV[3] lease length (ms), ARGV[4] how many
-- waiting wishes to look at in this call (a batch), ARGV[5] the cursor: '-inf' to start at the head of the queue, or
-- the score of the last wish the previous batch looked at (the walk goes on after it), ARGV[6..] ids to skip
-- -> nil (no match and none left to look at) | {id, record} | {0, cursor} (a whole batch looked at without a match:
--    call again with this cursor). Scores are unique (group * 2^40 + id), so the cursor names one place in the queue
--    however the queue changed between calls; a batch keeps one script short on a scope with many wishes.
local now = now_ms()
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now)) do
  redis.call('ZREM', KEYS[4], id)
  if redis.call('HGET', KEYS[3], id) == 'l' then
    local rec = redis.call('HGET', KEYS[2], id)
    local group = tonumber(string.match(rec, '^[^|]*|[^|]*|[^|]*|[^|]*|([^|]*)'))
    redis.call('HSET', KEYS[3], id, 'w')
    redis.call('ZADD', KEYS[1], group * 1099511627776 + tonumber(id), id)
  end
end
local day = tonumber(ARGV[1])
local maxlen = tonumber(ARGV[2])
local skip = {}
for i = 6, #ARGV do skip[ARGV[i]] = true end
local batch = tonumber(ARGV[4])
local start = ARGV[5] == '-inf' and '-inf' or '(' .. ARGV[5]
local page = redis.call('ZRANGEBYSCORE', KEYS[1], start, '+inf', 'WITHSCORES', 'LIMIT', 0, batch)
for i = 1, #page, 2 do
  local id = page[i]
  if not skip[id] then
    local rec = redis.call('HGET', KEYS[2], id)
    local from, to, len = string.match(rec, '^[^|]*|([^|]*)|([^|]*)|([^|]*)|')
    if day >= tonumber(from) and day <= tonumber(to) and tonumber(len) <= maxlen then
      redis.call('ZREM', KEYS[1], id)
      redis.call('HSET', KEYS[3], id, 'l')
      redis.call('ZADD', KEYS[4], now + tonumber(ARGV[3]), id)
      return {id, rec}
    end
  end
end
if #page == 2 * batch then return {0, page[#page]} end
return nil
