-- The version check's checkpoint: for each channel in ARGV[2..], publishes '#<changes>' on it, where <changes> is how
-- many feed messages the scripts have published on that channel so far (count_changes in lib.lua: '<channel>:changes').
-- Each node, on reading it at this point of the channel, compares it with how many messages it has heard there: equal,
-- none was lost, and nothing more is read; else it compares every calendar's version (versions.lua or HGETs).
-- ARGV[1] '1' to SPUBLISH (a cluster: the channels are hash slots' channels on this node, SlotChannels.cs) or '0' to
-- PUBLISH (the one channel of a standalone server).
-- -> the count per channel, in order; -1 for a channel whose slot this node does not serve (moved: nothing published)
local counts = {}
for i = 2, #ARGV do
  local n = redis.pcall('GET', ARGV[i] .. ':changes')
  if type(n) == 'table' then
    counts[#counts + 1] = -1
  else
    n = tonumber(n or '0')
    if ARGV[1] == '1' then
      redis.call('SPUBLISH', ARGV[i], '#' .. n)
    else
      redis.call('PUBLISH', ARGV[i], '#' .. n)
    end
    counts[#counts + 1] = n
  end
end
return counts
