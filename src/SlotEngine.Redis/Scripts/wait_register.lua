-- Registers a wish in its scope's queue (docs/waitlist.md). All keys share the scope's hash tag {w:<scope>}.
-- KEYS[1] q: zset of waiting wish ids, score group * 2^40 + id (so ZRANK is the wish's place: groups in order, FIFO within)
-- KEYS[2] h: hash id -> the wish "<patient hex>|<from yyyymmdd>|<to yyyymmdd>|<length>|<group>|<actor>|<channel>|<attributes>"
-- KEYS[3] s: hash id -> state: 'w' waiting | 'l' leased (an offer is being tried) | 'o<reservation>' offered | 'x' cancelled
-- KEYS[4] n: the scope's last wish id
-- ARGV[1] the wish record, ARGV[2] its group
-- -> the new wish's id
local id = redis.call('INCR', KEYS[4])
redis.call('HSET', KEYS[2], id, ARGV[1])
redis.call('HSET', KEYS[3], id, 'w')
redis.call('ZADD', KEYS[1], tonumber(ARGV[2]) * 1099511627776 + id, id)
return id
