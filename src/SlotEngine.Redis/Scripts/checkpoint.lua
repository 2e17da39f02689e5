-- The version check's checkpoint (standalone servers): publishes '#<changes>' on the feed, where <changes> is how many
-- feed messages the scripts have published so far (count_changes in lib.lua). Each node, on reading it at this point of
-- the feed, compares it with how many messages it has heard: equal, none was lost, and nothing more is read; else it
-- compares every calendar's version (versions.lua). ARGV[1] the feed channel. -> the count
local n = tonumber(redis.call('GET', ARGV[1] .. ':changes') or '0')
redis.call('PUBLISH', ARGV[1], '#' .. n)
return n
