-- The version check (read-only, standalone servers: the keys span many hash tags): KEYS are calendars' meta hashes,
-- ARGV the versions the node holds of them, in the same order.
-- -> {index (0-based), version in Redis (0: not published)} for each calendar whose version differs, flat.
local result = {}
for i = 1, #KEYS do
  local version = tonumber(redis.call('HGET', KEYS[i], 'ver') or '0')
  if version ~= tonumber(ARGV[i]) then
    result[#result + 1] = i - 1
    result[#result + 1] = version
  end
end
return result
