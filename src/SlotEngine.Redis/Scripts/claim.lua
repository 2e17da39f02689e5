-- Holds or books ARGV[5] slots from ARGV[4] on the first seat where all are free (expired holds met on the way are reclaimed).
-- KEYS[5] (optional) the idempotency record. ARGV: [6] patient hex, [7] hold ms (0 = book), [8] first slot's start ms,
-- [9] booking window open ms, [10] window close ms, [11] quota nonce ('' = none), [12] quota lease deadline ms,
-- [13] request digest, [14] idempotency retention ms, [15] the highest token a calendar may issue (the core's
-- ReadModel.MaxToken, passed in so that the limit is written once), [16] flags: '1' or '3' when the last key is the
-- audit stream, '2' or '3' when the four rare arguments below follow ('0' or '1': they are absent and all their defaults),
-- [17] actor, [18] channel (codes of the core's Actor and BookingChannel, for the audit record); then, only with flag 2,
-- [19] ms before which a booking needs approval (0 = never), [20] its approval deadline ms: such a booking is kept as a
-- hold expiring then; [21] the patient's birth year ('' = none) and [22] the claim's pool ('' = none), for the day's stored
-- release schedule and reservation (rush_not_open, rush_seats in lib.lua). (The plain claim's commonest call sends none of
-- the four: each argument costs the server a Lua string in ARGV, ~900 instructions; docs/redis-scale.md.)
-- Next (ARGV[19], or ARGV[23] with flag 2; standalone server only; absent or 0 = none) the first of the patient's admission
-- keys, and from the argument after it the admission's arguments (admission_rate and admission_check in lib.lua): the
-- patient's rules are then judged and taken in this script, with the claim; the admission rate first of all, before the
-- idempotency record (a keyed retry counts too).
-- -> {'ok', seat, token, expiry ms, version, 1 when expired holds were reclaimed on the way, how many of them were
--    unapproved bookings released at their approval deadline} | {'again', seat, token, expiry ms} | {'reused', digest}
--    | {'taken' or 'closed' or 'tokens', how many unapproved bookings were released on the way} | {status}
--    ('notopen', 'reserved' among them) | an admission refusal ({'rate'}, {'barred'}, {'call'}, {'full', ...})
-- An unapproved booking's stored claim and feed delta end with '|u' and ',u' (StoredClaim, FeedDelta in StoreFormats.cs).
local flags = ARGV[16]
local approval_before, approval_deadline, birth, pool, after = '0', '0', '', '', 19
if flags == '2' or flags == '3' then
  approval_before, approval_deadline, birth, pool, after = ARGV[19], ARGV[20], ARGV[21], ARGV[22], 23
end
local admit_at = tonumber(ARGV[after] or '0')
local admit_args = after + 1
local meta, free, claims, nonces, idem = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
if admit_at == 5 then
  idem = nil
end
local audit = nil
if flags == '1' or flags == '3' then
  audit = KEYS[#KEYS]
  if #KEYS == 5 then
    idem = nil
  end
end
-- The day's shape and template text (the rush functions' stored policy: rush_text in lib.lua), its last token and
-- version (and 'ini': a day opened in bulk keeps its bitmap there, bits_from in lib.lua), read with one HMGET; no meta (no 'wpl') = the day is
-- gone. The new token and version (and a changed 'ini') are written with one HSET at the end (a script is atomic: the same as HINCRBY each).
local shape = redis.call('HMGET', meta, 'wpl', 'cap', 'tpl', 'tok', 'ver', 'ini')
if not shape[1] then
  return { 'gone' }
end
bits_from(shape[6]) -- a day opened in bulk: its bitmap stays in meta's 'ini' (lib.lua)
rush_tpl = shape[3] or ''
if admit_at > 0 then
  local limited = admission_rate(admit_at, admit_args)
  if limited then
    return limited
  end
end
if idem then
  local record = redis.call('GET', idem)
  if record then
    local digest, seat, token, expiry = string.match(record, '^(.*)|(%d+)|(%d+)|(%d+)$')
    if digest ~= ARGV[13] then
      return { 'reused', digest }
    end
    return { 'again', tonumber(seat), tonumber(token), tonumber(expiry) }
  end
end
local admitted = nil
if admit_at > 0 then
  local refusal
  admitted, refusal = admission_check(admit_at, admit_args)
  if refusal then
    return refusal
  end
end
local now = now_ms()
-- Numbers from text with '+ 0' (one conversion; see int in lib.lua).
if now < ARGV[9] + 0 or now >= ARGV[10] + 0 then
  return { 'window' }
end
if now >= ARGV[8] + 0 then
  return { 'past' }
end
if ARGV[11] ~= '' and not admitted and (now >= tonumber(ARGV[12]) or redis.call('HGET', nonces, ARGV[11]) == 'x' .. ARGV[12]) then
  return { 'lease' }
end
if rush_not_open(meta, ARGV[6], birth, now) then
  return { 'notopen' }
end
local wpl = shape[1] + 0
local cap = shape[2] + 0
local seat_from, seat_to, seat_step = rush_seats(meta, cap, ARGV[4], ARGV[5], pool, now)
if seat_to < seat_from and seat_step > 0 then
  return { 'reserved' }
end
local first, len = ARGV[4] + 0, ARGV[5] + 0
local saw_closed, reclaimed, seat, lapsed = false, false, -1, 0
for l = seat_from, seat_to, seat_step do
  local ok = true
  for s = first, first + len - 1 do
    if getbit(free, wpl, l, s) == 0 then
      local v = redis.call('HGET', claims, field(l, s))
      if not v then
        saw_closed = true
        ok = false
      else
        local c = parse(v)
        if c.kind == 'h' and c.expiry <= now then
          remove_claim(free, claims, wpl, l, c, 0, 0)
          bump(meta, '-' .. int(l) .. ',' .. int(c.first) .. ',' .. int(c.token)) -- readers release it as a delta
          if lapse(nonces, audit, l, c, now, approval_deadline) then -- the day's approval deadline when known (a booking request)
            lapsed = lapsed + 1
          end
          reclaimed = true
        else
          ok = false
        end
      end
    end
  end
  if ok then
    seat = l
    break
  end
end
if seat < 0 then
  bits_flush(meta) -- the holds reclaimed on the way stay freed
  if saw_closed then
    return { 'closed', lapsed }
  end
  return { 'taken', lapsed }
end
local token = (shape[4] or '0') + 1
if token > ARGV[15] + 0 then
  bits_flush(meta)
  return { 'tokens', lapsed }
end
if admitted then
  admission_take(admitted)
end
-- The claim's numbers as text once (int in lib.lua), for the stored value, the nonce, the delta and the record.
local kind, expiry, expiry_s, flag = 'b', 0, '0', ''
local hold_ms = (ARGV[7] == '0') and 0 or ARGV[7] + 0
if hold_ms > 0 then
  kind = 'h'
  expiry = now + hold_ms
  expiry_s = int(expiry)
elseif approval_before ~= '0' and now < approval_before + 0 then
  kind = 'h'
  expiry = approval_deadline + 0
  expiry_s = int(expiry)
  flag = 'u'
  mark_unapproved(nonces, token)
end
local token_s, seat_s = int(token), int(seat)
local value = token_s .. '|' .. kind .. '|' .. ARGV[4] .. '|' .. ARGV[5] .. '|' .. ARGV[6] .. '|' .. expiry_s .. (flag == 'u' and '|u' or '')
for s = first, first + len - 1 do
  setbit(free, wpl, seat, s, 0)
end
-- The new version when no reclaim raised it already (bump), as text once.
local version, version_s = nil, nil
if not reclaimed then
  version = (shape[5] or '0') + 1
  version_s = int(version)
end
local nonce_ref = nil
if ARGV[11] ~= '' then
  nonce_ref = seat_s .. ':' .. ARGV[4] .. ':' .. token_s -- which claim the quota nonce led to
end
-- The claims and the nonce records are fields of meta (StoreKeys.Claims; lib.lua): the claim's slots, its nonce, the
-- token, the version (unless the reclaims bumped it) and a changed 'ini', all with one HSET.
local w = {}
for s = first, first + len - 1 do
  w[#w + 1] = field(seat, s)
  w[#w + 1] = value
end
if nonce_ref then
  w[#w + 1] = ARGV[11]
  w[#w + 1] = nonce_ref
end
w[#w + 1] = 'tok'
w[#w + 1] = token_s
if version_s then
  w[#w + 1] = 'ver'
  w[#w + 1] = version_s
end
if bm_ini then
  w[#w + 1] = 'ini'
  w[#w + 1] = bm_ini
end
redis.call('HSET', meta, unpack(w))
local delta = '+' .. seat_s .. ',' .. ARGV[4] .. ',' .. ARGV[5] .. ',' .. token_s .. ',' .. ARGV[6] .. ',' .. expiry_s .. (flag == 'u' and ',u' or '')
if reclaimed then
  version = bump(meta, delta) -- the reclaims raised 'ver': the version read at the start is behind
else
  announce(version, delta, version_s)
end
if idem then
  redis.call('SET', idem, ARGV[13] .. '|' .. seat_s .. '|' .. token_s .. '|' .. expiry_s, 'PX', ARGV[14])
end
if audit then
  audit_append(audit, 1, seat, first, len, token, ARGV[6], kind == 'b' and 1 or 0, expiry, ARGV[17] + 0, ARGV[18] + 0, now)
end
return { 'ok', seat, token, expiry, version, reclaimed and 1 or 0, lapsed }
