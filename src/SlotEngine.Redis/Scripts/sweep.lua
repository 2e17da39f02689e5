-- Frees every expired hold of the calendar now. KEYS[5] (optional) the audit stream; ARGV[4] (optional, 0 = off) the
-- length to trim it to, approximately (RedisSlotEngineOptions.AuditStreamMaxLength).
-- -> {version, reclaimed claim descriptions... (an unapproved booking's ends with '|u', see lapse in lib.lua)}
-- Feed: one '-' delta (a release) per hold freed, each its own version.
local meta, free, claims = KEYS[1], KEYS[2], KEYS[3]
-- No EXISTS: no 'wpl' = no meta (the day is gone).
-- With 'ini': a day opened in bulk keeps its bitmap there (bits_from in lib.lua).
local shape = redis.call('HMGET', meta, 'wpl', 'ini')
if not shape[1] then
  return { 0 }
end
local wpl = shape[1] + 0
bits_from(shape[2])
local now = now_ms()
local all = redis.call('HGETALL', claims)
local result = { 0 }
for i = 1, #all, 2 do
  local seat, slot = string.match(all[i], '^(%d+):(%d+)$')
  if seat then
    local c = parse(all[i + 1])
    if c.kind == 'h' and c.expiry <= now and tonumber(slot) == c.first then
      remove_claim(free, claims, wpl, tonumber(seat), c, 0, 0)
      table.insert(result, describe(tonumber(seat), c) .. (lapse(KEYS[4], KEYS[5], tonumber(seat), c, now) and '|u' or ''))
      result[1] = bump(meta, '-' .. seat .. ',' .. c.first .. ',' .. c.token)
    end
  end
end
bits_flush(meta)
if #result == 1 then
  result[1] = tonumber(redis.call('HGET', meta, 'ver'))
end
if KEYS[5] and tonumber(ARGV[4] or '0') > 0 then
  redis.call('XTRIM', KEYS[5], 'MAXLEN', '~', ARGV[4])
end
return result
