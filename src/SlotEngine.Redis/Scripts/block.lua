-- Closes ARGV[5] slots from ARGV[4] on every seat; claims touching them are removed whole (their other slots freed).
-- ARGV[6] '1' also deletes the calendar (withdraw). KEYS[5] (optional) the audit stream: a record per displaced claim. -> {closed seats, version, displaced claim descriptions...}
-- An expired hold removed is not displaced; an unapproved booking past its approval deadline is released at it (lapse in
-- lib.lua: an ApprovalLapsed record, as a claim or a sweep would) and listed as its description with '|u' appended.
-- Feed (a block, not a withdraw): one '-' delta (a release) per claim removed, then one 'x' delta that closes the range on
-- every seat, each its own version: a reader that applies them in order holds what this script left.
local meta, free, claims = KEYS[1], KEYS[2], KEYS[3]
-- The day's shape with one HMGET (no EXISTS: no 'wpl' = no meta, the day is gone).
local shape = redis.call('HMGET', meta, 'wpl', 'cap', 'ini')
if not shape[1] then
  return { -1 }
end
own_free(meta, free, shape[3]) -- a day opened in bulk: its free key first (lib.lua)
local now = now_ms()
local wpl = tonumber(shape[1])
local cap = tonumber(shape[2])
local first, len = tonumber(ARGV[4]), tonumber(ARGV[5])
local last = first + len
local closed, changed, result = 0, false, { 0, 0 }
for l = 0, cap - 1 do
  for s = first, last - 1 do
    local pos = bitpos(wpl, l, s)
    if redis.call('GETBIT', free, pos) == 1 then
      redis.call('SETBIT', free, pos, 0)
      closed = closed + 1
      changed = true
    else
      local v = redis.call('HGET', claims, field(l, s))
      if v then
        local c = parse(v)
        remove_claim(free, claims, wpl, l, c, first, last)
        closed = closed + math.min(last, c.first + c.len) - math.max(first, c.first)
        changed = true
        if ARGV[6] ~= '1' then
          bump(meta, '-' .. l .. ',' .. c.first .. ',' .. c.token)
        end
        if not (c.kind == 'h' and c.expiry <= now) then
          table.insert(result, describe(l, c))
          if KEYS[5] then
            audit_append(KEYS[5], 5, l, c.first, c.len, c.token, c.patient, c.kind == 'b' and 1 or 0, c.expiry, 4, 0, now)
          end
        elseif lapse(KEYS[4], KEYS[5], l, c, now) then
          -- An unapproved booking past its deadline: released at it (audited as ApprovalLapsed), not displaced.
          table.insert(result, describe(l, c) .. '|u')
        end
      end
    end
  end
end
local version = tonumber(redis.call('HGET', meta, 'ver'))
if ARGV[6] == '1' then
  version = version + 1
  redis.call('DEL', meta, free, claims, KEYS[4])
  local message = ARGV[3] .. '|' .. version .. '|gone|t' .. now
  if ARGV[2] == '1' then
    redis.call('SPUBLISH', ARGV[1], message)
  else
    redis.call('PUBLISH', ARGV[1], message)
  end
  count_changes(1)
elseif changed then
  version = bump(meta, 'x' .. first .. ',' .. len)
end
result[1] = closed
result[2] = version
return result
