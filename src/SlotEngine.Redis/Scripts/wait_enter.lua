-- Asks for an offer pass over a scope: the calendar that has free seats joins the scope's pending set, and the
-- caller becomes the scope's offerer if nobody is (the offer lock, with a deadline so a dead offerer lets go).
-- One offerer per scope at a time is what keeps offers FIFO across nodes: it walks the queue in order, as the
-- in-memory engine does under its scope lock. A caller that is not the offerer has left its calendar for the
-- offerer, which drains the set before it lets go (wait_next.lua), so no freed calendar is forgotten.
-- A scope with no wish waiting (nor leased) has nothing to offer: the call ends there (one round trip for the common
-- case of a slot freed where nobody waits).
-- KEYS[1] the pending set, KEYS[2] the offer lock, KEYS[3] the queue, KEYS[4] the leases; ARGV[1] the calendar ref,
-- ARGV[2] the caller's token, ARGV[3] lock ms
-- -> the first calendar to offer (popped from the set: the caller is the offerer; wait_next.lua gives the rest) |
--    0 another node is the offerer | -1 nobody waits
if redis.call('ZCARD', KEYS[3]) == 0 and redis.call('ZCARD', KEYS[4]) == 0 then return -1 end
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then return redis.call('SPOP', KEYS[1]) end
return 0
