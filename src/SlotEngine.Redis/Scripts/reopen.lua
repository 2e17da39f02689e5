-- Opens closed seats of ARGV[5] slots from ARGV[4]; ARGV[6] has one '1' or '0' per slot of the range: whether the template offers it.
-- -> {opened seats, version}. Feed: an 'o' delta (readers open the same seats: the template and the claims are theirs too).
local meta, free, claims = KEYS[1], KEYS[2], KEYS[3]
-- The day's shape and version with one HMGET (no EXISTS: no 'wpl' = no meta, the day is gone).
local shape = redis.call('HMGET', meta, 'wpl', 'cap', 'ver', 'ini')
if not shape[1] then
  return { -1, 0 }
end
own_free(meta, free, shape[4]) -- a day opened in bulk: its free key first (lib.lua)
local wpl = tonumber(shape[1])
local cap = tonumber(shape[2])
local first, len, offered = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local opened = 0
for l = 0, cap - 1 do
  for s = first, first + len - 1 do
    local pos = bitpos(wpl, l, s)
    if string.sub(offered, s - first + 1, s - first + 1) == '1' and redis.call('GETBIT', free, pos) == 0
        and redis.call('HEXISTS', claims, field(l, s)) == 0 then
      redis.call('SETBIT', free, pos, 1)
      opened = opened + 1
    end
  end
end
local version = tonumber(shape[3]) -- unchanged so far: this script bumps it only below
if opened > 0 then
  version = bump(meta, 'o' .. first .. ',' .. len)
end
return { opened, version }
