-- Releases a hold or booking. ARGV[4] seat, [5] first slot, [6] token, [7] booking cutoff ms ('' = none).
-- ARGV[8] the reservation's patient hex. KEYS[5] (optional) the audit stream; ARGV[9] its action (3 release, 4 cancel), [10] actor.
-- An expired hold no longer owns its slots. -> {'ok', version} | {'stale'} | {'late'}
local meta, free, claims = KEYS[1], KEYS[2], KEYS[3]
local seat, first, token = ARGV[4] + 0, ARGV[5] + 0, ARGV[6] + 0 -- '+ 0': one conversion (int in lib.lua)
local c = reserved_claim(meta, claims, seat, first, token, ARGV[8])
if not c then
  return { 'stale' }
end
local now = now_ms()
if c.kind == 'h' and c.expiry <= now then
  return { 'stale' }
end
if c.kind == 'b' and ARGV[7] ~= '' and now > ARGV[7] + 0 then
  return { 'late' }
end
-- The day's shape and, for a day opened in bulk, its bitmap in 'ini' (bits_from in lib.lua), with one HMGET.
local shape = redis.call('HMGET', meta, 'wpl', 'ini')
bits_from(shape[2])
remove_claim(free, claims, shape[1] + 0, seat, c, 0, 0)
bits_flush(meta)
if KEYS[5] then
  audit_append(KEYS[5], ARGV[9] + 0, seat, c.first, c.len, c.token, c.patient, c.kind == 'b' and 1 or 0, c.expiry, ARGV[10] + 0, 0, now)
end
return { 'ok', bump(meta, '-' .. ARGV[4] .. ',' .. ARGV[5] .. ',' .. ARGV[6]) }
