-- Lifts a patient's bar on a branch. KEYS[1] the patient's records {a:<patient hex>} (the bar is field 'b:<branch>').
-- ARGV[1] the branch.
-- -> 1 a bar was in force | 0 not
local f = 'b:' .. ARGV[1]
local untilMs = redis.call('HGET', KEYS[1], f)
if not untilMs then
  return 0
end
redis.call('HDEL', KEYS[1], f)
return (tonumber(untilMs) > now_ms()) and 1 or 0
