-- Opens a day. ARGV[4] template text, [5] slots, [6] capacity, [7] words per seat, [8] the initial free bitmap.
-- -> {'ok', version} | {'exists', version} | {'conflict', template text}
local meta, free = KEYS[1], KEYS[2]
local existing = redis.call('HGET', meta, 'tpl')
if existing then
  if existing == ARGV[4] then
    return { 'exists', tonumber(redis.call('HGET', meta, 'ver')) }
  end
  return { 'conflict', existing }
end
redis.call('HSET', meta, 'tpl', ARGV[4], 'slots', ARGV[5], 'cap', ARGV[6], 'wpl', ARGV[7], 'ver', 0, 'tok', 0)
redis.call('SET', free, ARGV[8])
-- The claims and nonces hashes get a placeholder field '-', so that all four keys exist while the day does: a
-- cluster slot migration then moves them together and never finds a script's keys half present (TRYAGAIN).
redis.call('DEL', KEYS[3], KEYS[4])
redis.call('HSET', KEYS[3], '-', '')
redis.call('HSET', KEYS[4], '-', '')
-- A new generation of the day: versions start again, so the message says "reset" (every node reloads it).
local version = redis.call('HINCRBY', meta, 'ver', 1)
local message = ARGV[3] .. '|' .. version .. '|reset|t' .. now_ms()
if ARGV[2] == '1' then
  redis.call('SPUBLISH', ARGV[1], message)
else
  redis.call('PUBLISH', ARGV[1], message)
end
return { 'ok', version }
