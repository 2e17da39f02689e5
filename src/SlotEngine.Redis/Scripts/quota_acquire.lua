-- Takes one quota entry per rule for a claim about to be made, or none. An entry already holding this nonce (the
-- same request sent again or at once by another client, under one idempotency key) is shared, not taken twice.
-- KEYS[1] the patient's day: hash on {q:<patient hex>:<yyyymmdd>}, "<scope>:<id>:<i>" -> "<provider>:<yyyymmdd>|<nonce>|<lease deadline ms>"
-- ARGV: [1] nonce, [2] the claim's calendar, [3] lease ms, [4] clock-skew grace ms, [5] key expiry (unix ms),
-- [6] rule count n, then n pairs (scope, limit), then pairs (field, value) of entries proven dead (removed when unchanged).
-- -> {1, lease deadline ms, fields taken...} | {0, then per entry of each full rule: field, value, 1 if its lease (plus grace) has passed else 0}
local q = KEYS[1]
local now = now_ms()
local n = tonumber(ARGV[6])
local i = 7 + 2 * n
while i <= #ARGV do
  if redis.call('HGET', q, ARGV[i]) == ARGV[i + 1] then
    redis.call('HDEL', q, ARGV[i])
  end
  i = i + 2
end
local grace = tonumber(ARGV[4])
local nonce = ARGV[1]
local chosen, check, full, own_deadline = {}, {}, false, nil
for r = 0, n - 1 do
  local scope, limit = ARGV[7 + 2 * r], tonumber(ARGV[8 + 2 * r])
  local free_field, own_field, undecided = nil, nil, {}
  for e = 0, limit - 1 do
    local f = scope .. ':' .. e
    local v = redis.call('HGET', q, f)
    if not v then
      free_field = free_field or f
    else
      local entry_nonce, deadline = string.match(v, '|([^|]+)|(%d+)$')
      if entry_nonce == nonce then
        -- The same request (same idempotency key) took this entry already: share it.
        own_field = f
        own_deadline = tonumber(deadline)
      else
        table.insert(undecided, f)
        table.insert(undecided, v)
        table.insert(undecided, (tonumber(deadline) + grace <= now) and 1 or 0)
      end
    end
  end
  if own_field then
    table.insert(chosen, { own_field, false })
  elseif free_field then
    table.insert(chosen, { free_field, true })
  else
    full = true
    for _, x in ipairs(undecided) do
      table.insert(check, x)
    end
  end
end
if full then
  local result = { 0 }
  for _, x in ipairs(check) do
    table.insert(result, x)
  end
  return result
end
local deadline = own_deadline or (now + tonumber(ARGV[3]))
local value = ARGV[2] .. '|' .. nonce .. '|' .. deadline
local result = { 1, deadline }
for _, c in ipairs(chosen) do
  if c[2] then
    redis.call('HSET', q, c[1], value)
  end
  table.insert(result, c[1])
end
redis.call('PEXPIREAT', q, ARGV[5])
return result
