-- Turns a live hold into a booking. ARGV[4] seat, [5] first slot, [6] token, [7] the reservation's patient hex.
-- KEYS[5] (optional) the audit stream.
-- -> {'ok', version (0 when it was booked already)} | {'stale', now ms} | {'expired', now ms}
local meta, claims = KEYS[1], KEYS[3]
local now = now_ms()
local seat, first, token = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local c = reserved_claim(meta, claims, seat, first, token, ARGV[7])
if not c then
  return { 'stale', now }
end
if c.kind == 'b' then
  return { 'ok', 0 }
end
if c.expiry <= now then
  return { 'expired', now }
end
local booked = c.token .. '|b|' .. c.first .. '|' .. c.len .. '|' .. c.patient .. '|0'
for s = c.first, c.first + c.len - 1 do
  redis.call('HSET', claims, field(seat, s), booked)
end
if KEYS[5] then
  audit_append(KEYS[5], 2, seat, c.first, c.len, c.token, c.patient, 1, 0, 0, 0, now)
end
return { 'ok', bump(meta, '*' .. seat .. ',' .. first .. ',' .. token) }
