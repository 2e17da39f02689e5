-- Gives back the entries of a claim that definitely did not happen. KEYS the patient's hashes (admission_check in lib.lua:
-- the active entries, the day's quota entries); ARGV[1] the value the entries were taken with, then pairs (key index,
-- field), each removed only while it still holds that value.
local removed = 0
for i = 2, #ARGV, 2 do
  local h = KEYS[tonumber(ARGV[i])]
  if redis.call('HGET', h, ARGV[i + 1]) == ARGV[1] then
    removed = removed + redis.call('HDEL', h, ARGV[i + 1])
  end
end
return removed
