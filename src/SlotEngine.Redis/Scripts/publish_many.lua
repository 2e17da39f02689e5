-- Opens many days in one call (bulk publishing on a standalone server, where keys of many hash tags may meet).
-- KEYS: meta, free, claims, nonces of each day in turn. ARGV[1] channel, [2] '1' to SPUBLISH, then per day:
-- "<provider>:<yyyymmdd>", template text, slots, capacity, words per seat, initial free bitmap.
-- -> per day in turn: status, version or template text (as publish.lua; open_day in lib.lua)
local now = now_ms()
local result = {}
local days = #KEYS / 4
for i = 0, days - 1 do
  local k, a = i * 4, 3 + i * 6
  local status, value = open_day(KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4], ARGV[1], ARGV[2],
    ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], ARGV[a + 5], now)
  result[#result + 1] = status
  result[#result + 1] = value
end
return result
