-- What became of the claims made under quota nonces ARGV[4..], one answer each: 1 live (booked, or held and not
-- expired), 0 dead (it was made and is gone: released, cancelled, expired, blocked, withdrawn), 2 never made
-- under this nonce (so far: the caller judges by the lease whether it still may be).
local meta, claims, nonces = KEYS[1], KEYS[3], KEYS[4]
local result = {}
-- A withdrawn day (no meta) has lost its nonces: each answer is 2, judged by the lease (the day could be
-- published again while a claim with that nonce is still on its way). The nonces are read with one HMGET and no EXISTS
-- of meta: without meta the nonces hash is gone too, or holds only leases burned before the day opened (publish_many.lua),
-- which answer 2 as well; a claim's nonce is only written while meta exists.
local now = now_ms()
if #ARGV < 4 then
  return result
end
local refs = redis.call('HMGET', nonces, unpack(ARGV, 4))
for i = 4, #ARGV do
  local live = 2
  local ref = refs[i - 3]
  if ref and string.sub(ref, 1, 1) == 'x' then
    ref = nil -- a burned lease: no claim was made under it
  end
  if ref then
    live = 0
    local seat, first, token = string.match(ref, '^(%d+):(%d+):(%d+)$')
    local v = redis.call('HGET', claims, seat .. ':' .. first)
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
