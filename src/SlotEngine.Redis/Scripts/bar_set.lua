-- Bars a patient from a branch for a period from now (this shard's TIME); a later end already set is kept.
-- KEYS[1] the patient's bars {a:<patient hex>}:b. ARGV[1] the branch, ARGV[2] the period in ms.
-- -> the bar's end (unix ms)
local bars = KEYS[1]
local untilMs = now_ms() + tonumber(ARGV[2])
local current = tonumber(redis.call('HGET', bars, ARGV[1]) or '0')
if current >= untilMs then
  return current
end
redis.call('HSET', bars, ARGV[1], untilMs)
-- The key lives as long as its latest bar.
local expires = redis.call('PEXPIRETIME', bars)
if expires < untilMs then
  redis.call('PEXPIREAT', bars, untilMs)
end
return untilMs
