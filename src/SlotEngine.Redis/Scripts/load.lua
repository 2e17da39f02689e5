-- Reads a calendar whole and at once: {meta fields..., free bitmap, claim fields..., server time ms}, or {} when it is not published.
-- A day opened in bulk and not changed since has its bitmap in meta's 'ini' and no free key (own_free in lib.lua).
local meta = redis.call('HGETALL', KEYS[1])
if #meta == 0 then
  return {}
end
local bitmap = nil
for i = 1, #meta, 2 do
  if meta[i] == 'ini' then
    bitmap = meta[i + 1]
  end
end
return { meta, bitmap or redis.call('GET', KEYS[2]) or '', redis.call('HGETALL', KEYS[3]), now_ms() }
