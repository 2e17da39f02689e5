-- Gives back the entries of a claim that definitely did not happen. KEYS the patient's names (admission_check in lib.lua:
-- the patient's records {a:<patient hex>}, the day's name {a:<patient hex>}:q:<yyyymmdd>); ARGV[1] the value the entries
-- were taken with, then pairs (key index, field), each removed only while it still holds that value. A field of the day's
-- name is its stored 'q<yyyymmdd>:' field of the records (patient_field in lib.lua; stored layout 3).
local removed = 0
for i = 2, #ARGV, 2 do
  local h, f = patient_field(KEYS[tonumber(ARGV[i])], ARGV[i + 1])
  if h ~= KEYS[1] then -- only the declared records key is touched (Redis requires every key a script touches in KEYS)
    return redis.error_reply('ERR the records key of ' .. KEYS[tonumber(ARGV[i])] .. ' is not declared')
  end
  if redis.call('HGET', h, f) == ARGV[1] then
    removed = removed + redis.call('HDEL', h, f)
  end
end
return removed
