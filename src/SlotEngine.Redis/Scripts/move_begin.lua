-- Step 0 of a move (docs/reschedule.md): writes the move intent on the moved claim's calendar, before anything else.
-- KEYS: [1] meta [2] free [3] claims [4] nonces, [5] the intent (hash on this calendar's tag), [6] the calendar's moving
-- index (hash "<seat>:<first>:<token>" -> intent key: one move of a claim at a time).
-- ARGV: [1..3] feed, [4] seat, [5] first, [6] token, [7] patient hex, [8] move nonce M, [9] lease ms, [10] intent
-- retention ms, [11] target calendar ref, [12] quota key, [13] active key, [14] the value entries get when they follow the move, then triples (nonce, quota entry value or '',
-- active entry value or '') of the entries that may be the moved claim's.
-- -> {'ok', deadline ms, old nonce or '', kind, expiry ms} | {'exists', state, result, M} | {'stale'} | {'busy', other intent}
local meta, claims, nonces, intent, moving = KEYS[1], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local known = redis.call('HMGET', intent, 'state', 'result', 'm')
if known[1] then
  return { 'exists', known[1], known[2] or '', known[3] or '' }
end
local seat, first, token = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local c = reserved_claim(meta, claims, seat, first, token, ARGV[7])
local now = now_ms()
if not c or (c.kind == 'h' and c.expiry <= now) then
  return { 'stale' }
end
local from = seat .. ':' .. first .. ':' .. token
local other = redis.call('HGET', moving, from)
if other then
  return { 'busy', other }
end
local old, qold, aold = '', '', ''
for i = 15, #ARGV, 3 do
  if redis.call('HGET', nonces, ARGV[i]) == from then
    old, qold, aold = ARGV[i], ARGV[i + 1], ARGV[i + 2]
    break
  end
end
local deadline = now + tonumber(ARGV[9])
redis.call('HSET', intent, 'state', 'open', 'from', from, 'patient', ARGV[7], 'm', ARGV[8], 'deadline', deadline, 'to', ARGV[11],
  'nold', old, 'qkey', ARGV[12], 'qold', qold, 'akey', ARGV[13], 'aold', aold, 'nv', ARGV[14], 'ref', ARGV[3])
redis.call('PEXPIRE', intent, ARGV[10])
redis.call('HSET', moving, from, intent)
return { 'ok', deadline, old, c.kind, c.expiry }
