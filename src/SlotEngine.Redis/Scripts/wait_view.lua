-- Reads one wish. KEYS[1] q, KEYS[2] h, KEYS[3] s, KEYS[4] r; ARGV[1] id
-- -> nil | {record, state, refusal or '', place in the queue (-1 when not waiting)}
local id = ARGV[1]
local rec = redis.call('HGET', KEYS[2], id)
if not rec then return nil end
local rank = redis.call('ZRANK', KEYS[1], id)
return {rec, redis.call('HGET', KEYS[3], id) or 'x', redis.call('HGET', KEYS[4], id) or '', rank or -1}
