-- Turns a live hold into a booking. ARGV[4] seat, [5] first slot, [6] token, [7] the reservation's patient hex,
-- [8] '1' to approve (book an unapproved booking or a hold), else a plain confirm, [9] the approval deadline ms and
-- [10] the instant ms before which a confirmed hold needs approval (0 = never; see awaits_approval in lib.lua).
-- KEYS[5] (optional) the audit stream.
-- -> {'ok', version (0 when it was booked already)} | {'unapproved', deadline ms, version (0 when nothing changed)}
--    | {'stale', now ms} | {'expired', now ms}
-- A hold made unapproved is stored with '|u' and published with the delta '~seat,first,token,deadline ms' (StoreFormats.cs).
local meta, claims, nonces = KEYS[1], KEYS[3], KEYS[4]
local now = now_ms()
local seat, first, token = ARGV[4] + 0, ARGV[5] + 0, ARGV[6] + 0 -- '+ 0': one conversion (int in lib.lua)
-- The claims are fields of meta (StoreKeys.Claims): the claim's field and the version are read with one HMGET, so that
-- the confirm below writes the booking and the new version with one HSET (no HINCRBY).
local got = redis.call('HMGET', meta, field(seat, first), 'ver')
local c, ver = claim_named(got[1], first, token, ARGV[7]), got[2]
if not c then
  return { 'stale', now }
end
if c.kind == 'b' then
  return { 'ok', 0 }
end
if c.expiry <= now then
  return { 'expired', now }
end
local approve = ARGV[8] == '1'
-- ARGV[9]: the day's approval deadline ('0' with approval off or when approving): the marker is asked only for an
-- unflagged hold expiring exactly then, or when it is '0' (awaits_approval in lib.lua).
local unapproved = awaits_approval(nonces, c, ARGV[9])
if not approve then
  if unapproved then
    return { 'unapproved', c.expiry, 0 }
  end
  if ARGV[10] and ARGV[10] ~= '0' and now < ARGV[10] + 0 then
    local deadline = ARGV[9] + 0
    set_claim_fields(claims, seat, c.first, c.len, c.token_s .. '|h|' .. c.first_s .. '|' .. c.len_s .. '|' .. c.patient .. '|' .. ARGV[9] .. '|u')
    mark_unapproved(nonces, c.token)
    if KEYS[5] then
      audit_append(KEYS[5], 2, seat, c.first, c.len, c.token, c.patient, 0, deadline, 0, 0, now)
    end
    return { 'unapproved', deadline, bump(meta, '~' .. ARGV[4] .. ',' .. ARGV[5] .. ',' .. ARGV[6] .. ',' .. ARGV[9]) }
  end
end
local booked = c.token_s .. '|b|' .. c.first_s .. '|' .. c.len_s .. '|' .. c.patient .. '|0'
local version, version_s = nil, nil
if ver then
  version = ver + 1
  version_s = int(version)
  set_claim_fields(claims, seat, c.first, c.len, booked, 'ver', version_s) -- the booking and the version in one HSET of meta
else
  set_claim_fields(claims, seat, c.first, c.len, booked)
end
if unapproved then
  redis.call('HDEL', nonces, 'u' .. int(c.token))
end
if KEYS[5] then
  audit_append(KEYS[5], approve and 7 or 2, seat, c.first, c.len, c.token, c.patient, 1, 0, 0, 0, now)
end
local delta = '*' .. ARGV[4] .. ',' .. ARGV[5] .. ',' .. ARGV[6]
if version then
  return { 'ok', announce(version, delta, version_s) }
end
return { 'ok', bump(meta, delta) }
