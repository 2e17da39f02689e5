-- The offerer's next calendar to offer, or, when none is pending, the end of its turn (the lock is let go in the
-- same step, so a calendar added after this finds the lock free and its caller becomes the offerer: none is lost).
-- KEYS[1] the pending set, KEYS[2] the offer lock; ARGV[1] the offerer's token, ARGV[2] lock ms
-- -> the next calendar ref | nil (the turn is over; or the lock was lost: its deadline passed and another took it)
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return nil end
local ref = redis.call('SPOP', KEYS[1])
if not ref then
  redis.call('DEL', KEYS[2])
  return nil
end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return ref
