-- Purges a scope's wishes that can no longer be served or are finished (ISlotEngine.PurgeWishesAsync, docs/waitlist.md),
-- walking the records in batches (HSCAN with the caller's cursor, so one call stays short however many wishes wait):
-- a wish whose date range has passed (its last day before ARGV[1]), whatever its state but leased; a cancelled one
-- ('x') once ARGV[2] ms have passed since its cancellation (KEYS[6]; a cancellation found without a time is timed now);
-- an offered one ('o<reservation>') once ARGV[2] ms have passed since its offer's expiry (the reservation's last field):
-- by then it was accepted or it lapsed. A purged wish leaves the queue, the records, states, refusals and times.
-- KEYS[1] q, KEYS[2] h, KEYS[3] s, KEYS[4] r (as in wait_register.lua, wait_settle.lua), KEYS[5] l (leases),
-- KEYS[6] f: hash id -> when it was cancelled (ms)
-- ARGV[1] today (yyyymmdd, the engine's zone), ARGV[2] retention ms, ARGV[3] the HSCAN cursor ('0' to start), ARGV[4] batch
-- -> {next cursor ('0': done), purged "<id>|<patient hex>" ...}
local now = now_ms()
local today, retention = tonumber(ARGV[1]), tonumber(ARGV[2])
local page = redis.call('HSCAN', KEYS[2], ARGV[3], 'COUNT', ARGV[4])
local result = { page[1] }
local fields = page[2]
for i = 1, #fields, 2 do
  local id, rec = fields[i], fields[i + 1]
  local patient, to = string.match(rec, '^([^|]*)|[^|]*|([^|]*)|')
  local state = redis.call('HGET', KEYS[3], id) or 'x'
  local purge = false
  if state ~= 'l' then
    if tonumber(to) < today then
      purge = true
    elseif state == 'x' then
      local at = redis.call('HGET', KEYS[6], id)
      if not at then
        redis.call('HSET', KEYS[6], id, now)
      else
        purge = now - tonumber(at) >= retention
      end
    elseif string.sub(state, 1, 1) == 'o' then
      local expiry = tonumber(string.match(state, '(%d+)$'))
      purge = expiry > 0 and now - expiry >= retention
    end
  end
  if purge then
    redis.call('ZREM', KEYS[1], id)
    redis.call('ZREM', KEYS[5], id)
    redis.call('HDEL', KEYS[2], id)
    redis.call('HDEL', KEYS[3], id)
    redis.call('HDEL', KEYS[4], id)
    redis.call('HDEL', KEYS[6], id)
    result[#result + 1] = id .. '|' .. patient
  end
end
return result
