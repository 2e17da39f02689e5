-- Lifts a patient's bar on a branch. KEYS[1] the patient's bars {a:<patient hex>}:b. ARGV[1] the branch.
-- -> 1 a bar was in force | 0 not
local untilMs = redis.call('HGET', KEYS[1], ARGV[1])
if not untilMs then
  return 0
end
redis.call('HDEL', KEYS[1], ARGV[1])
return (tonumber(untilMs) > now_ms()) and 1 or 0
