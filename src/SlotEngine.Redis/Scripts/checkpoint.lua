-- The version check's checkpoint: publishes '#<changes>' on a feed channel, where <changes> is how many feed messages the
-- scripts have published on that channel so far (count_changes in lib.lua: '<channel>:changes'). Each node, on reading it
-- at this point of the channel, compares it with how many messages it has heard there: equal, none was lost, and nothing
-- more is read; else it compares every calendar's version (versions.lua or HGETs).
-- ARGV[1] '0': the one channel of a standalone server, ARGV[2], always published (PUBLISH).
-- ARGV[1] '1': a cluster (SPUBLISH; the channels are hash slots' channels on this node, SlotChannels.cs), ARGV[2..] pairs of
-- a channel and the count the calling node expects there (what it has heard plus its offset; '-1' not known yet). Where the
-- count equals it, the caller had heard every message counted so far when it sent the call, so nothing was lost and nothing
-- is published: a caught-up node costs a GET per slot it follows, not a message to every node following it. A count
-- that differs (messages still on their way, or lost) is published, and every node following the channel checks it.
-- -> how many checkpoints were published
local published = 0
if ARGV[1] == '0' then
  redis.call('PUBLISH', ARGV[2], '#' .. tonumber(redis.call('GET', ARGV[2] .. ':changes') or '0'))
  return 1
end
for i = 2, #ARGV, 2 do
  local n = redis.pcall('GET', ARGV[i] .. ':changes')
  if type(n) ~= 'table' then -- a table: an error, the slot moved away from this node (nothing published)
    n = tonumber(n or '0')
    if n ~= tonumber(ARGV[i + 1]) then
      redis.call('SPUBLISH', ARGV[i], '#' .. n)
      published = published + 1
    end
  end
end
return published
