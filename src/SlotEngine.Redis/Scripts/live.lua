-- Whether the claims made under quota nonces ARGV[4..] are live (booked, or held and not expired): one 1 or 0 each.
-- Only asked about nonces whose lease has passed, so a nonce with no claim now never gets one.
local meta, claims, nonces = KEYS[1], KEYS[3], KEYS[4]
local result = {}
local exists = redis.call('EXISTS', meta) == 1
local now = now_ms()
for i = 4, #ARGV do
  local live = 0
  local ref = exists and redis.call('HGET', nonces, ARGV[i])
  if ref then
    local lane, first, token = string.match(ref, '^(%d+):(%d+):(%d+)$')
    local v = redis.call('HGET', claims, lane .. ':' .. first)
    if v then
      local c = parse(v)
      if c.token == tonumber(token) and c.first == tonumber(first) and (c.kind == 'b' or c.expiry > now) then
        live = 1
      end
    end
  end
  table.insert(result, live)
end
return result
