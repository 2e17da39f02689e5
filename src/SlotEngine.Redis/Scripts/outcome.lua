-- Records an appointment's outcome: checks that the reservation is a live booking of its patient and appends the
-- outcome to the audit stream (action 6, with the outcome as a 13th field). Changes no claim, so publishes nothing.
-- KEYS as every calendar script, KEYS[5] (optional) the audit stream.
-- ARGV[4] seat, [5] first slot, [6] token, [7] the reservation's patient hex, [8] outcome, [9] actor.
-- -> {'ok', now ms} | {'stale', now ms}
local meta, claims = KEYS[1], KEYS[3]
local now = now_ms()
local seat, first, token = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local c = reserved_claim(meta, claims, seat, first, token, ARGV[7])
if not c or c.kind ~= 'b' then
  return { 'stale', now }
end
if KEYS[5] then
  redis.call('XADD', KEYS[5], '*', 'd', cmsgpack.pack({ 1, 6, seat, c.first, c.len, c.token, c.patient, 1, 0, tonumber(ARGV[9]), 0, now, tonumber(ARGV[8]) }))
end
return { 'ok', now }
