-- Opens many days in one call (bulk publishing; standalone servers only: the keys span many hash tags, and the script
-- makes their names itself from ARGV[3], the key prefix, as StoreKeys.Build does: <prefix>{p:<ref>}:m, :f, :c, :n).
-- ARGV[1] channel, [2] '0' (PUBLISH), [3] key prefix, [4] how many shapes follow; then per shape: template text, slots,
-- capacity, words per seat, initial free bitmap; then per day: "<provider>:<yyyymmdd>", its shape's number (1-based).
-- A day takes three writes: meta (version 1), free bitmap and its "reset" feed message. Its claims and nonces hashes
-- are made on first use: on a standalone server no slot migration can find a script's keys half present (the reason
-- publish.lua writes placeholders in a cluster). Nothing of an earlier generation is left to delete: a withdraw deletes
-- all four keys, and no script writes a claim without meta; a nonces hash without meta holds only leases burned
-- (burn.lua) before the day opened, which stay burned, as they should.
-- -> {day number (0-based), status, version or template text} for each day NOT opened ('exists' or 'conflict'), flat;
-- every other day was opened at version 1.
local now = now_ms()
local result = {}
local prefix, shapes = ARGV[3], tonumber(ARGV[4])
local first_day = 5 + shapes * 5
local opened = 0
for a = first_day, #ARGV, 2 do
  local ref, s = ARGV[a], 4 + (tonumber(ARGV[a + 1]) - 1) * 5
  local tag = prefix .. '{p:' .. ref .. '}'
  local meta, tpl = tag .. ':m', ARGV[s + 1]
  local existing = redis.call('HGET', meta, 'tpl')
  if existing then
    local index = (a - first_day) / 2
    if existing == tpl then
      result[#result + 1] = index
      result[#result + 1] = 'exists'
      result[#result + 1] = tonumber(redis.call('HGET', meta, 'ver'))
    else
      result[#result + 1] = index
      result[#result + 1] = 'conflict'
      result[#result + 1] = existing
    end
  else
    redis.call('HSET', meta, 'tpl', tpl, 'slots', ARGV[s + 2], 'cap', ARGV[s + 3], 'wpl', ARGV[s + 4], 'ver', 1, 'tok', 0)
    redis.call('SET', tag .. ':f', ARGV[s + 5])
    redis.call('PUBLISH', ARGV[1], ref .. '|1|reset|t' .. now)
    opened = opened + 1
  end
end
count_changes(opened)
return result
