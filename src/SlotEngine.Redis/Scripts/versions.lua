-- The version check (read-only, standalone servers: the keys span many hash tags): KEYS are calendars' meta hashes;
-- -> each one's version in turn, 0 when the day is not published.
local result = {}
for i = 1, #KEYS do
  result[i] = tonumber(redis.call('HGET', KEYS[i], 'ver') or '0')
end
return result
