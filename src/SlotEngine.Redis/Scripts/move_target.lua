-- The resolver's question to a move's target calendar (docs/reschedule.md): was the target claimed under the move
-- nonce ARGV[4]? If not, the nonce is burned first (as burn.lua, with ARGV[5] as its deadline), so that it never can be:
-- a half-done move is then decided from the stored state alone.
-- KEYS: [1] meta [2] free [3] claims [4] nonces. -> {'burned'} | {'live', seat, first, token, expiry ms, kind} | {'gone'}
local claims, nonces = KEYS[3], KEYS[4]
local ref = redis.call('HGET', nonces, ARGV[4])
if not ref then
  redis.call('HSET', nonces, ARGV[4], 'x' .. ARGV[5])
  return { 'burned' }
end
if string.sub(ref, 1, 1) == 'x' then
  return { 'burned' }
end
local seat, first, token = string.match(ref, '^(%d+):(%d+):(%d+)$')
local v = redis.call('HGET', claims, seat .. ':' .. first)
if v then
  local c = parse(v)
  if c.token == tonumber(token) and (c.kind == 'b' or c.expiry > now_ms()) then
    return { 'live', tonumber(seat), tonumber(first), c.token, c.expiry, c.kind }
  end
end
return { 'gone' }
