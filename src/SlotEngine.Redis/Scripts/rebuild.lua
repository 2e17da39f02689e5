-- Replaces a day with exactly the bookings the caller's system of record lists (after a failover that lost writes).
-- ARGV[4] template text, [5] slots, [6] capacity, [7] words per seat, [8] initial free bitmap, [9] token floor,
-- then per booking 5 values: seat, first, length, token, patient hex. Tokens continue above every token that
-- may have been issued (old last token, floor, the bookings') plus a margin, so no stale reservation can match a
-- new claim. -> {version, last token}
local meta, free, claims, nonces = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local version = tonumber(redis.call('HGET', meta, 'ver') or '0')
local token = math.max(tonumber(redis.call('HGET', meta, 'tok') or '0'), tonumber(ARGV[9]))
redis.call('DEL', meta, free, claims, nonces)
redis.call('SET', free, ARGV[8])
redis.call('HSET', claims, '-', '')
redis.call('HSET', nonces, '-', '')
local wpl = tonumber(ARGV[7])
for i = 10, #ARGV, 5 do
  local seat, first, len, t, patient = tonumber(ARGV[i]), tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3]), ARGV[i + 4]
  local value = t .. '|b|' .. first .. '|' .. len .. '|' .. patient .. '|0'
  for s = first, first + len - 1 do
    redis.call('SETBIT', free, bitpos(wpl, seat, s), 0)
    redis.call('HSET', claims, field(seat, s), value)
  end
  redis.call('HSET', nonces, 'r' .. t, seat .. ':' .. first .. ':' .. t)
  token = math.max(token, t)
end
token = token + 1048576
version = version + 1
redis.call('HSET', meta, 'tpl', ARGV[4], 'slots', ARGV[5], 'cap', ARGV[6], 'wpl', ARGV[7], 'ver', version, 'tok', token)
local message = ARGV[3] .. '|' .. version .. '|reset|t' .. now_ms()
if ARGV[2] == '1' then
  redis.call('SPUBLISH', ARGV[1], message)
else
  redis.call('PUBLISH', ARGV[1], message)
end
count_changes(1)
return { version, token }
