-- Reads a calendar whole and at once: {meta fields..., free bitmap, claim fields..., server time ms}, or {} when it is not published.
local meta = redis.call('HGETALL', KEYS[1])
if #meta == 0 then
  return {}
end
return { meta, redis.call('GET', KEYS[2]) or '', redis.call('HGETALL', KEYS[3]), now_ms() }
