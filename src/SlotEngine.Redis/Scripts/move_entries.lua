-- A move's work on the patient's entries (a day's quota entries, the active-appointment entries; one tag). KEYS are the
-- names the client knows (the active key {a:<patient hex>}, a day's {a:<patient hex>}:q:<yyyymmdd>); in stored layout 3
-- both are views of the patient's records {a:<patient hex>} (admission_check in lib.lua): a day's view is the fields
-- 'q<yyyymmdd>:<name>' shown as <name>, the active view the fields 'a:<i>' (patient_view in lib.lua). The last KEY is
-- the records key itself (declared: Redis requires every key a script touches in KEYS; with no cap the views name
-- only a day), not a view: "KEYS" below means the views, KEYS[1] to KEYS[#KEYS - 1].
-- ARGV[1] mode.
-- 'find' KEYS the hashes to read, ARGV[2] a calendar ref: -> {key index, field, value, ...} of the entries naming that
--   calendar, in all of them.
-- 'repoint' KEYS the hashes (fields of the quota hash and the active hash never share a prefix), ARGV[2] the moved claim's entry prefix "<calendar>|<nonce>|" (its entries may differ in lease), [3] new value, [4] the move's claim deadline ms, [5] clock-skew grace ms, [6..] field
--   prefixes ("<scope>:<id>:"): entries equal to the old value under those prefixes now name the target (the
--   appointment keeps its one place). Refused (-1) once the deadline, less the grace, has passed: a resolver may
--   then be restoring them. -> {how many, per key}
-- 'restore' (KEYS[1] alone, then the records key) ARGV[2] new value, [3] old value: entries equal to the new value name the moved claim again (its lease
--   does not matter: the claim was made under its nonce). -> how many
local mode = ARGV[1]
local records = KEYS[#KEYS]
local views = #KEYS - 1
if patient_field(records, '') ~= records then -- the last key is the records key, not a day's view of it
  return redis.error_reply('ERR the records key is not declared: ' .. records .. ' is a view')
end
local result = {}
if mode == 'find' then
  local prefix = ARGV[2] .. '|'
  for k = 1, views do
    local h, pre, cut = patient_view(KEYS[k], records)
    local all = redis.call('HGETALL', h)
    for i = 1, #all, 2 do
      if string.sub(all[i], 1, #pre) == pre and string.sub(all[i + 1], 1, #prefix) == prefix then
        table.insert(result, k)
        table.insert(result, string.sub(all[i], cut + 1))
        table.insert(result, all[i + 1])
      end
    end
  end
  return result
end
if mode == 'repoint' then
  local now = now_ms()
  if now + tonumber(ARGV[5]) >= tonumber(ARGV[4]) then
    return -1
  end
  for k = 1, views do
    local h, pre, cut = patient_view(KEYS[k], records)
    local all = redis.call('HGETALL', h)
    local count = 0
    for i = 1, #all, 2 do
      if string.sub(all[i], 1, #pre) == pre and string.sub(all[i + 1], 1, #ARGV[2]) == ARGV[2] then
        local name = string.sub(all[i], cut + 1)
        for p = 6, #ARGV do
          if string.sub(name, 1, #ARGV[p]) == ARGV[p] then
            redis.call('HSET', h, all[i], ARGV[3])
            count = count + 1
            break
          end
        end
      end
    end
    table.insert(result, count)
  end
  return result
end
local h, pre = patient_view(KEYS[1], records)
local all = redis.call('HGETALL', h)
local count = 0
for i = 1, #all, 2 do
  if string.sub(all[i], 1, #pre) == pre and all[i + 1] == ARGV[2] then
    redis.call('HSET', h, all[i], ARGV[3])
    count = count + 1
  end
end
return count
