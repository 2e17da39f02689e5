-- Bars a patient from a branch for a period from now (this shard's TIME); a later end already set is kept.
-- KEYS[1] the patient's records {a:<patient hex>} (stored layout 3: the bars are its fields 'b:<branch>'; admission_check
-- in lib.lua). ARGV[1] the branch, ARGV[2] the period in ms.
-- -> the bar's end (unix ms)
local h = KEYS[1]
local untilMs = now_ms() + tonumber(ARGV[2])
local read = redis.call('HMGET', h, 'b:' .. ARGV[1], 'x')
local current = tonumber(read[1] or '0')
if current >= untilMs then
  return current
end
-- The key lives as long as its latest record: 'x' (its expiry) only grows.
if tonumber(read[2] or '0') < untilMs then
  redis.call('HSET', h, 'b:' .. ARGV[1], untilMs, 'x', untilMs)
  redis.call('PEXPIREAT', h, untilMs)
else
  redis.call('HSET', h, 'b:' .. ARGV[1], untilMs)
end
return untilMs
