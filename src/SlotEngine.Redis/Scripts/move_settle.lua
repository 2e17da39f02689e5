-- Step 3 of a move, or its undo (docs/reschedule.md), on the moved claim's calendar: 'commit' releases the moved claim
-- (when it still is the reservation's) and marks the intent done with the target's result; 'abort' marks it aborted;
-- 'read' returns the intent's state, TIME ms and fields; 'list' the moving index (pairs). A settled intent answers its state again (idempotent).
-- KEYS: [1] meta [2] free [3] claims [4] nonces [5] intent [6] moving index [7] (optional) audit stream.
-- ARGV: [1..3] feed, [4] mode, [5] result "<seat>|<token>|<expiry ms>" (commit), [6] actor code, [7] '1' when KEYS[7] is the audit stream.
-- -> {'done', result[, version]} | {'aborted', ''} | {'stale', ''} (commit found the moved claim gone: aborted) | {'gone'} | {'open', fields...} (read)
local meta, free, claims, intent, moving = KEYS[1], KEYS[2], KEYS[3], KEYS[5], KEYS[6]
if ARGV[4] == 'list' then
  local result = { 'list' }
  for _, x in ipairs(redis.call('HGETALL', moving)) do
    table.insert(result, x)
  end
  return result
end
-- The intent's fields this script reads, with one HMGET (nothing writes the intent before they are used).
local fields = redis.call('HMGET', intent, 'state', 'result', 'from', 'patient')
local state = fields[1]
if not state then
  return { 'gone' }
end
if ARGV[4] == 'read' then
  local result = { state, now_ms() }
  for _, x in ipairs(redis.call('HGETALL', intent)) do
    table.insert(result, x)
  end
  return result
end
if state ~= 'open' then
  return { state, fields[2] or '' }
end
local from = fields[3]
redis.call('HDEL', moving, from)
if ARGV[4] == 'abort' then
  redis.call('HSET', intent, 'state', 'aborted')
  return { 'aborted', '' }
end
local seat, first, token = string.match(from, '^(%d+):(%d+):(%d+)$')
seat, first, token = tonumber(seat), tonumber(first), tonumber(token)
local c = reserved_claim(meta, claims, seat, first, token, fields[4])
local now = now_ms()
if not c or (c.kind == 'h' and c.expiry <= now) then
  redis.call('HSET', intent, 'state', 'aborted')
  return { 'stale', '' }
end
local shape = redis.call('HMGET', meta, 'wpl', 'ini') -- 'ini': a day opened in bulk keeps its bitmap there (bits_from in lib.lua)
bits_from(shape[2])
remove_claim(free, claims, tonumber(shape[1]), seat, c, 0, 0)
bits_flush(meta)
if ARGV[7] == '1' then
  audit_append(KEYS[7], 3, seat, c.first, c.len, c.token, c.patient, c.kind == 'b' and 1 or 0, c.expiry, tonumber(ARGV[6]), 0, now)
end
redis.call('HSET', intent, 'state', 'done', 'result', ARGV[5])
return { 'done', ARGV[5], bump(meta, '-' .. seat .. ',' .. first .. ',' .. token) }
