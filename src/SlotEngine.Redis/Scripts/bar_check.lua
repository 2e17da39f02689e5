-- Whether a patient is barred from a branch (BarPolicy), by this shard's TIME.
-- KEYS[1] the patient's bars: hash on {a:<patient hex>}:b, "<branch>" -> bar end (unix ms). ARGV[1] the branch.
-- -> 1 barred | 0 not
local untilMs = redis.call('HGET', KEYS[1], ARGV[1])
if untilMs and tonumber(untilMs) > now_ms() then
  return 1
end
return 0
