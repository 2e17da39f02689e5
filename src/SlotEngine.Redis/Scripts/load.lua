-- Reads a calendar whole and at once: {meta fields..., free bitmap, claim fields..., server time ms}, or {} when it is not published.
-- A day opened in bulk has its bitmap in meta's 'ini' and no free key (bits_from in lib.lua). The claims are fields of
-- meta when KEYS[3] is KEYS[1] (StoreKeys.Claims): one HGETALL, split here by the ':' only a claim's field name has (the
-- nonce records and the placeholder go with meta's fields, which the reader skips). No 'tpl': not published (a meta
-- holding only leases burned before the day opened).
local all = redis.call('HGETALL', KEYS[1])
local same = KEYS[3] == KEYS[1]
local meta, claims = all, nil
if same then
  meta, claims = {}, {}
end
local bitmap, published = nil, false
for i = 1, #all, 2 do
  local name = all[i]
  if same and string.find(name, ':', 1, true) then
    claims[#claims + 1] = name
    claims[#claims + 1] = all[i + 1]
  else
    if name == 'ini' then
      bitmap = all[i + 1]
    elseif name == 'tpl' then
      published = true
    end
    if same then
      meta[#meta + 1] = name
      meta[#meta + 1] = all[i + 1]
    end
  end
end
if not published then
  return {}
end
return { meta, bitmap or redis.call('GET', KEYS[2]) or '', claims or redis.call('HGETALL', KEYS[3]), now_ms() }
