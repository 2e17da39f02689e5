-- Opens a day. ARGV[4] template text, [5] slots, [6] capacity, [7] words per seat, [8] the initial free bitmap.
-- -> {'ok', version} | {'exists', version} | {'conflict', template text}   (open_day in lib.lua)
local status, value = open_day(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], now_ms())
return { status, value }
