-- Shared by every calendar script: each script is loaded with the definitions below that it uses (ScriptLibrary.cs),
-- because Redis makes every function of a script's text anew on each call. So every top-level statement here starts at
-- column 0 with 'local': a 'local function' ending at a column-0 'end', or a one-line 'local a, b = ...'.
-- The same text is also loaded once as a Redis function library (FunctionLibrary.cs: FUNCTION LOAD, then FCALL), where
-- the definitions are made once per server, not per call. Hence two more rules: nothing at the top level reads a
-- global (a library's load sees none: no 'local format = string.format'), and every top-level variable a call may
-- change (a per-call memo such as the TIME read) is set back in reset_call below, which the library runs first in
-- every call (FunctionLibraryTests checks that each assigned one is there).
-- A calendar's keys, all on the hash tag {p:<provider>:<yyyymmdd>}:
--   KEYS[1] meta   hash: tpl, slots, cap, wpl (64-bit words per seat; the field keeps its stored name), ver (version), tok (last token),
--                  and ini (the initial free bitmap) while a day opened in bulk has no free key yet (own_free below)
--   KEYS[2] free   string: the free bitmap, seat after seat, wpl little-endian 64-bit words per seat;
--                  slot s of seat l is bit (s % 8) counted from the least significant bit of byte
--                  l*wpl*8 + s/8, which is Redis bit offset l*wpl*64 + (s - s%8) + (7 - s%8)
--   KEYS[3] claims: "<seat>:<slot>" -> "<token>|<h or b>|<first>|<length>|<patient hex>|<hold expiry ms>"
--                  one field per slot of a claim; free bit 0 with no field = closed; field '-' is a placeholder.
--                  Fields of meta itself since issue 10's server-CPU round (StoreKeys.Claims names KEYS[1]): a claim
--                  writes its slots, nonce, token and version with one HSET of one key, and a confirm touches one key.
--                  Only a claim's field names have a ':' (load.lua and sweep.lua tell them apart by it).
--   KEYS[4] nonces: quota nonce -> "<seat>:<first>:<token>" (which claim a quota entry led to), or
--                  "x<lease deadline ms>" for a burned lease (see burn.lua); 'u<token>' approval markers, 'r<token>'
--                  (rebuild.lua). Fields of the claims' hash (meta) since issue 10's server-CPU round (StoreKeys.Nonces
--                  names KEYS[3]): none of these field names has a ':', so none reads as a claim's "<seat>:<slot>" (load,
--                  sweep skip them), and a claim writes its nonce with its slots in one HSET (one key and one command fewer).
--                  A lease burned before its day opens (burn.lua) makes meta without 'wpl' or 'tpl': not an open day.
-- ARGV[1] change-feed channel, ARGV[2] '1' to SPUBLISH (cluster) or '0' to PUBLISH, ARGV[3] "<provider>:<yyyymmdd>"
-- Feed messages: "<provider>:<yyyymmdd>|<version>[|reset or |gone]|t<TIME in ms>[|delta]" (the t field tells readers
-- when the change was made, for the change-feed lag; messages without it are still understood; the delta, below).
-- Number <-> text costs more than most commands inside a script: Lua writes a number into text with '%.14g' (a float
-- conversion, ~4,000 instructions for a 13-digit number) and reads one with strtod (~2,000). So the scripts keep
-- ARGV's text where they only pass it on, test flags as text ('0', '') before converting, and write integers with
-- int() ('%d', about half the cost) or, below 10, from DIGIT; and read text known to be a number (ARGV, replies) with
-- 'text + 0' (one strtod) rather than tonumber(text) (two: lua_isnumber, then lua_tonumber).
local DIGIT = { [0] = '0', '1', '2', '3', '4', '5', '6', '7', '8', '9' }
local function int(n)
  return DIGIT[n] or string.format('%d', n)
end

-- Redis TIME, read once per script run (a script is atomic: one instant serves all of it; each TIME call costs a
-- command). server_time() -> seconds, microseconds (numbers); now_ms() -> Unix ms.
local time_s, time_us, time_ms = nil, nil, nil
local function server_time()
  if not time_s then
    local t = redis.call('TIME')
    time_s, time_us = t[1] + 0, t[2] + 0
    time_ms = time_s * 1000 + math.floor(time_us / 1000)
  end
  return time_s, time_us
end

local function now_ms()
  if not time_ms then
    server_time()
  end
  return time_ms
end

-- As text (int): a number argument to redis.call would be written with '%.17g'.
local function bitpos(wpl, seat, slot)
  local within = slot % 8
  return int(seat * wpl * 64 + slot - within + 7 - within)
end

local function field(seat, slot)
  return int(seat) .. ':' .. int(slot)
end

-- A stored claim value (StoredClaim in StoreFormats.cs; an unapproved booking's ends with '|u', readers' copy of the
-- 'u<token>' marker), parsed; token_s, first_s, len_s: those numbers as stored, to write the value again without turning
-- numbers back into text (nothing is concatenated here: most callers never write it). flagged: the value ends with the
-- flag 'u' (byte 117; no other value ends with a letter).
local function parse(v)
  local token, kind, first, len, patient, expiry = string.match(v, '^(%d+)|(%a)|(%d+)|(%d+)|(%x+)|(%d+)|?u?$')
  return { token = token + 0, kind = kind, first = first + 0, len = len + 0, patient = patient, expiry = expiry + 0, raw = v,
    token_s = token, first_s = first, len_s = len, flagged = string.byte(v, -1) == 117 }
end

-- Writes value to the claim fields of slots [first, first + len) of seat with one HSET; with nonce, also the field nonce
-- = ref in it (a claim's quota nonce record when the nonces are fields of the claims' hash, KEYS[4] above; or meta's
-- 'ver' when the claims are fields of meta: confirm.lua).
local function set_claim_fields(claims, seat, first, len, value, nonce, ref)
  if len == 1 then
    if nonce then
      redis.call('HSET', claims, field(seat, first), value, nonce, ref) -- the common claim: no table
    else
      redis.call('HSET', claims, field(seat, first), value)
    end
    return
  end
  local writes = {}
  for s = first, first + len - 1 do
    writes[#writes + 1] = field(seat, s)
    writes[#writes + 1] = value
  end
  if nonce then
    writes[#writes + 1] = nonce
    writes[#writes + 1] = ref
  end
  redis.call('HSET', claims, unpack(writes))
end

-- The change counter: every feed message a script publishes is counted in '<channel>:changes' by the same script, so
-- a node that heard as many messages as the counter says has lost none (RedisSlotEngine.Checkpoint.cs; checkpoint.lua).
-- In a cluster the channel is the calendar's hash slot's (SlotChannels.cs), and so is its counter.
local function count_changes(n)
  if n > 0 then
    redis.call('INCRBY', ARGV[1] .. ':changes', int(n))
  end
end

-- delta (optional): what the change did, for readers to apply without a reload (FeedDelta in StoreFormats.cs):
-- '+seat,first,length,token,patient hex,hold expiry ms (0 booked)' | '*seat,first,token' | '-seat,first,token'
-- announce: the feed message of version v (a number; v_text: it as text, when made already), published and counted; bump: the version raised, then announced.
-- A script that reads 'ver' anyway may write it with its other meta fields in one HSET and call announce (claim.lua).
local function announce(v, delta, v_text)
  local message
  if delta then
    message = ARGV[3] .. '|' .. (v_text or int(v)) .. '|t' .. int(now_ms()) .. '|' .. delta -- one string made, not two
  else
    message = ARGV[3] .. '|' .. (v_text or int(v)) .. '|t' .. int(now_ms())
  end
  if ARGV[2] == '1' then
    redis.call('SPUBLISH', ARGV[1], message)
  else
    redis.call('PUBLISH', ARGV[1], message)
  end
  count_changes(1)
  return v
end

local function bump(meta, delta)
  return announce(redis.call('HINCRBY', meta, 'ver', '1'), delta)
end

-- A day's free bitmap as this call sees it (issue 10, server CPU): a day opened in bulk keeps it in meta's 'ini'
-- (own_free below), and the scripts that claim or free slots (claim, release, sweep, move_settle) now read and change
-- it there, as a Lua string, instead of making the free key: a claim on such a day then runs no SET, HDEL, GETBIT or
-- SETBIT, and the day keeps one key fewer. bits_from(ini) starts the call on 'ini' (nil: the day has its free key, and
-- getbit/setbit run GETBIT/SETBIT on it); setbit changes the string; the caller writes it back ('ini', bm_ini) with the
-- HSET of meta it runs anyway when bm_dirty (bits_flush otherwise). Same bytes as the key would hold: slot s of seat l
-- is bit s % 8 from the least significant of byte l*wpl*8 + (s - s%8)/8 (1-based: + 1); a byte past the end reads 0.
local POW2 = { [0] = 1, 2, 4, 8, 16, 32, 64, 128 }
local bm_ini, bm_dirty = nil, false
local function bits_from(ini)
  bm_ini, bm_dirty = ini, false
end

local function getbit(free, wpl, seat, slot)
  if bm_ini then
    local within = slot % 8
    local b = string.byte(bm_ini, seat * wpl * 8 + (slot - within) / 8 + 1) or 0
    return math.floor(b / POW2[within]) % 2
  end
  return redis.call('GETBIT', free, bitpos(wpl, seat, slot))
end

local function setbit(free, wpl, seat, slot, v)
  if not bm_ini then
    redis.call('SETBIT', free, bitpos(wpl, seat, slot), v)
    return
  end
  local within = slot % 8
  local i = seat * wpl * 8 + (slot - within) / 8 + 1
  while #bm_ini < i do
    bm_ini = bm_ini .. '\0' -- as SETBIT past the end grows the string with zero bytes (no claim's slot is out there)
  end
  local b = string.byte(bm_ini, i)
  local m = POW2[within]
  if math.floor(b / m) % 2 ~= v then
    bm_ini = string.sub(bm_ini, 1, i - 1) .. string.char(v == 1 and b + m or b - m) .. string.sub(bm_ini, i + 1)
    bm_dirty = true
  end
end

-- Writes a changed 'ini' back when the caller has no HSET of meta to carry it.
local function bits_flush(meta)
  if bm_dirty then
    redis.call('HSET', meta, 'ini', bm_ini)
    bm_dirty = false
  end
end

-- Removes a claim (c, parsed) from its seat: its slots in [close_from, close_to) stay closed, the rest are freed.
local function remove_claim(free, claims, wpl, seat, c, close_from, close_to)
  local fields = {}
  for s = c.first, c.first + c.len - 1 do
    fields[#fields + 1] = field(seat, s)
    if s < close_from or s >= close_to then
      setbit(free, wpl, seat, s, 1)
    end
  end
  redis.call('HDEL', claims, unpack(fields))
end

-- A day opened in bulk on a standalone server (publish_many.lua) keeps its initial free bitmap in meta's field 'ini'
-- and has no free key (one key per day at opening, not two). While 'ini' is there it IS the day's bitmap (a free key
-- under the name then is stale and ignored: load.lua reads 'ini' first). The scripts that claim and free a claim's
-- slots (claim, release, sweep, move_settle) keep it there (bits_from above: 'ini' read in the HMGET of meta they run
-- anyway, changed as a string, written back with meta); the rarer ones that close and open ranges (block, reopen) pass
-- here first: the free key is made from it and the field dropped, in the same atomic step. rebuild.lua makes a free
-- key. Cluster days are opened with their free key (placeholders) and never have 'ini'.
local function own_free(meta, free, ini)
  if ini then
    redis.call('SET', free, ini)
    redis.call('HDEL', meta, 'ini')
  end
end

local function describe(seat, c)
  return seat .. '|' .. c.first .. '|' .. c.len .. '|' .. c.token .. '|' .. c.kind .. '|' .. c.patient .. '|' .. c.expiry
end


-- Appends one audit record to the calendar's stream (its key is under the calendar's hash tag, so the same
-- script that makes a change records it: state and audit cannot diverge). The payload is a MessagePack array,
-- version 1: {1, action, seat, first, length, token, patient hex, booked 0/1, hold expiry ms, actor, channel,
-- TIME ms}; parsed by AuditFormat.cs (actions and codes: the core's AuditAction, Actor, BookingChannel).
-- Packed as the array's header (fixarray of 12, byte 0x9c) followed by cmsgpack.pack of the 12 values as arguments: the
-- same bytes as packing a table of them (each value is encoded alike), without making the table (~30 % cheaper).
local function audit_append(stream, action, seat, first, len, token, patient, booked, expiry, actor, channel, now)
  redis.call('XADD', stream, '*', 'd', '\156' .. cmsgpack.pack(1, action, seat, first, len, token, patient, booked, expiry, actor, channel, now))
end

-- Opens a day (publish.lua; publish_many.lua has a leaner copy for standalone servers): template text, slots, capacity, words per seat, initial free bitmap.
-- -> 'ok', version | 'exists', version | 'conflict', template text
local function open_day(meta, free, claims, nonces, channel, spublish, ref, tpl, slots, cap, wpl, bitmap, now)
  local existing = redis.call('HGET', meta, 'tpl')
  if existing then
    if existing == tpl then
      return 'exists', tonumber(redis.call('HGET', meta, 'ver'))
    end
    return 'conflict', existing
  end
  -- A new generation of the day: versions start again at 1, so the message says "reset" (every node reloads it).
  -- What an earlier generation left (leases burned before the day opened) goes first: the claims and nonces are fields
  -- of meta (KEYS[3] and KEYS[4] name it), so this deletes meta too, before it is written.
  redis.call('DEL', claims, nonces)
  redis.call('HSET', meta, 'tpl', tpl, 'slots', slots, 'cap', cap, 'wpl', wpl, 'ver', 1, 'tok', 0)
  redis.call('SET', free, bitmap)
  -- Meta and the free key are the day (the claims and nonces are fields of meta): both exist while the day does, so a
  -- cluster slot migration moves them together and never finds a script's keys half present (TRYAGAIN).
  -- The template rides along ('|' written '/'), so other nodes lay the new day in without reading it back.
  local message = ref .. '|1|reset|t' .. now .. '|n' .. string.gsub(tpl, '|', '/')
  if spublish == '1' then
    redis.call('SPUBLISH', channel, message)
  else
    redis.call('PUBLISH', channel, message)
  end
  count_changes(1)
  return 'ok', 1
end

-- The claim a reservation names (seat, first slot, token, the patient's hex), parsed; nil when the day is gone or
-- the claim there is not this reservation's (another token, first slot or patient): the caller answers 'stale'.
-- Shared by confirm, release and outcome, so a reservation is checked one way everywhere.
-- No EXISTS on meta: a day's four keys are made and deleted together (open_day, publish_many, rebuild, withdraw), so a
-- claim field is only ever found while its meta exists.
-- claim_named: the same test on a value already read (v: the claim field's value or false).
local function claim_named(v, first, token, patient)
  if not v then
    return nil
  end
  local c = parse(v)
  if c.token ~= token or c.first ~= first or c.patient ~= patient then
    return nil
  end
  return c
end

local function reserved_claim(meta, claims, seat, first, token, patient)
  return claim_named(redis.call('HGET', claims, field(seat, first)), first, token, patient)
end

-- Patient-side admission: the patient's admission rate, bar, active-appointment cap and daily quotas (and, on a
-- standalone server, a call's limit) judged in one step by this server's TIME. Run by admit.lua on the patient's tag (a cluster: the
-- two-step lease protocol of docs/quotas-distributed.md), or inside claim.lua on a standalone server, where the
-- entries are written in the same step as the claim (no lease to give back). Keys from KEYS[k]:
--   [k] the name {a:<patient hex>}:b (not touched: the bars are fields of [k+1]), [k+1] the patient's records
--   {a:<patient hex>} (below), [k+2] the name {a:<patient hex>}:q:<yyyymmdd> (not touched: it names the claim's day, whose
--   quota entries are fields of [k+1]), [k+3] the patient's admission rate instant {a:<patient hex>}:r (any key of the
--   tag when the rate is off: not touched then), [k+4] the call's counter (only with a call limit).
-- The patient's records, one hash {a:<patient hex>} (stored layout 3; before it, three keys: the active entries, a
-- quota hash per day and a bars hash): the cap's entries "a:<i>", the quota entries of day D "q<yyyymmdd>:<scope>:<id>:<i>"
--   (entries -> "<provider>:<yyyymmdd>|<nonce>|<lease deadline ms>"), the bars "b:<branch>" -> bar end ms, 'x' -> the
--   key's expiry (unix ms, the PEXPIREAT last set: the latest of its records' lives, so a write sets it only when it
--   grows), 'qd' -> the days with quota entries, 21 characters each ("<yyyymmdd><their expiry ms, 13 digits>"): a day's
--   entries are deleted by the first admission taking quota entries after that day's expiry (each record's own life
--   kept by a stored deadline: Redis 7.0 has no field expiry). Scripts given the old names (quota_release, move_entries)
--   map them to the record's fields with patient_field below. The entry names the client sees stay "<scope>:<id>:<i>".
-- Arguments from ARGV[a]: [a] nonce, [a+1] the claim's calendar, [a+2] branch ('' = no bar check), [a+3] active key
--   expiry (unix ms; 0 without a cap), [a+4] quota key expiry (unix ms), [a+5] the admission's numbers in one binary
--   string (admission_numbers below), [a+6] to [a+5+n] the n quota rules' scopes, then triples ('a' or 'q', field,
--   value) of entries proven dead (removed when unchanged).
-- admission_rate (called first, by the caller) returns nil or the refusal {'rate'}; admission_check returns a plan, or a
-- refusal reply: {'barred'} | {'call'} | {'full', 1 if the cap is full else 0, 1 if a quota rule is full else 0, then
-- per entry of each full rule: 'a' or 'q', field, value, 1 if its lease (plus grace) has passed}.

-- The admission's numbers, ARGV[a+5]: one binary string read by struct.unpack (one C call, no Lua string per number and
-- no text to convert; each argument costs the server a Lua string, ~0.13 us), made once per shape of options by the
-- client (AdmissionNumbers in RedisSlotEngine.Quotas.cs): little-endian 64-bit integers lease ms, clock-skew grace ms,
-- active cap (0 = none), call limit (0 = none), call count retention ms, the admission rate's interval in microseconds
-- (0 = no rate, or taken already by an earlier round of the same claim), its burst in microseconds; then the quota rule
-- count n and each rule's limit, 32-bit. Read once per script run into these upvalues (adm_at: where the limits start).
local ADMISSION_NUMBERS = '<i8i8i8i8i8i8i8i4'
local adm_lease, adm_grace, adm_cap, adm_call, adm_call_ms, adm_rate, adm_burst, adm_n, adm_at = 0, 0, 0, 0, 0, 0, 0, 0, nil
local function admission_numbers(a)
  if not adm_at then
    adm_lease, adm_grace, adm_cap, adm_call, adm_call_ms, adm_rate, adm_burst, adm_n, adm_at = struct.unpack(ADMISSION_NUMBERS, ARGV[a + 5])
  end
end

-- The admission rate (AdmissionRate, GCRA; issue 12.5): the patient's instant in microseconds under KEYS[k+3]. Admits
-- (nil) and moves the instant, or refuses ({'rate'}) and writes nothing. Its write stays whatever the claim's outcome
-- (a script's writes are not undone by its reply): every attempt counts, as in memory. The caller runs it before the
-- idempotency record is read, so that a keyed retry counts too.
local function admission_rate(k, a)
  admission_numbers(a)
  if adm_rate == 0 then
    return nil
  end
  local sec, usec = server_time()
  local now = sec * 1000000 + usec
  local key = KEYS[k + 3]
  local tat = tonumber(redis.call('GET', key) or '0')
  local start = math.max(tat, now)
  if start - now > adm_burst then
    return { 'rate' }
  end
  local nxt = start + adm_rate
  redis.call('SET', key, string.format('%d', nxt), 'PX', math.floor((nxt - now) / 1000) + 1)
  return nil
end

-- One rule's entries: the free field, the field this nonce holds already (and its deadline), the others (for a full rule).
-- fields/values: the rule's stored entry fields from index at, as read by one HMGET (false = absent); cut: how many
-- characters of a stored field the client's name lacks (a quota entry's 'q<yyyymmdd>:', for the 'full' reply).
local function scan_rule(fields, values, at, mark, limit, nonce, grace, now, undecided, cut)
  -- A plain find of the nonce first: only an entry that may be this nonce's is parsed, and the others are listed only
  -- when the rule is full (no strings or tables made for the common case, a free entry).
  local free_field = nil
  for e = at, at + limit - 1 do
    local v = values[e]
    if not v then
      free_field = free_field or fields[e]
    elseif string.find(v, nonce, 1, true) then
      local entry_nonce, deadline = string.match(v, '|([^|]+)|(%d+)$')
      if entry_nonce == nonce then
        -- The same request (same idempotency key) took this entry already: share it.
        return fields[e], false, deadline + 0
      end
    end
  end
  if free_field then
    return free_field, true, nil
  end
  for e = at, at + limit - 1 do
    local v = values[e]
    local entry_nonce, deadline = string.match(v, '|([^|]+)|(%d+)$')
    if entry_nonce ~= nonce then
      undecided[#undecided + 1] = { mark, string.sub(fields[e], cut + 1), v, (deadline + grace <= now) and 1 or 0 }
    end
  end
  return nil, false, nil
end

-- A rule's entry for the plan (admission_check): takes the free field (into take) or shares this nonce's, and adds it to
-- chosen; false when the rule is full (its live entries then added to undecided). A plain function (no closure made per call).
local function choose_entry(plan, undecided, nonce, grace, now, fields, values, at, mark, limit, take, chosen, cut)
  local f, fresh, own_deadline = scan_rule(fields, values, at, mark, limit, nonce, grace, now, undecided, cut)
  if not f then
    return false
  end
  if own_deadline and (not plan.deadline or own_deadline < plan.deadline) then
    plan.deadline = own_deadline
  end
  if fresh then
    take[#take + 1] = f
  end
  chosen[#chosen + 1] = f
  return true
end

-- Layout 3: a patient-side name and field -> the patient's records key and the stored field. '<..>}:q:<yyyymmdd>'
-- (a day's quota entries) -> field 'q<yyyymmdd>:' .. f of '<..>}'; '<..>}:b' (bars) -> 'b:' .. f; else unchanged.
local function patient_field(key, f)
  local n = #key
  if string.sub(key, n - 11, n - 8) == '}:q:' then
    return string.sub(key, 1, n - 11), 'q' .. string.sub(key, n - 7) .. ':' .. f
  end
  if string.sub(key, n - 2) == '}:b' then
    return string.sub(key, 1, n - 2), 'b:' .. f
  end
  return key, f
end

-- A name's view (move_entries.lua): the stored key, the stored fields' prefix, and how much of it the client's field
-- names lack ('a:' for the active key: its entries are named with it). records: the records key the caller declared in
-- KEYS (Redis requires every key a script touches to be declared): a view of another key is an error, not a read of an
-- undeclared key.
local function patient_view(key, records)
  local h, pre = patient_field(key, '')
  if h ~= records then
    error(redis.error_reply('ERR the records key of ' .. key .. ' is not declared'))
  end
  if pre == '' then
    return h, 'a:', 0
  end
  return h, pre, #pre
end

-- The admission's read: one HMGET of the patient's records for the cap's entries, the day's quota entries, the bar,
-- 'x' and 'qd' (a hold used to read three hashes: the bars, the active entries, the day's quota entries).
local function admission_check(k, a)
  local now = now_ms()
  admission_numbers(a)
  local h = KEYS[k + 1]
  local qpre = 'q' .. string.sub(KEYS[k + 2], -8) .. ':'
  local n = adm_n
  local i = a + 6 + n
  while i + 2 <= #ARGV do
    local f = (ARGV[i] == 'a') and ARGV[i + 1] or (qpre .. ARGV[i + 1])
    if redis.call('HGET', h, f) == ARGV[i + 2] then
      redis.call('HDEL', h, f)
    end
    i = i + 3
  end
  if adm_call > 0 and tonumber(redis.call('GET', KEYS[k + 4]) or '0') >= adm_call then
    return nil, { 'call' }
  end
  -- wanted: the stored fields of the cap's entries, then of each quota rule's (with the day's prefix: the plan keeps
  -- these, and admit.lua's reply and the 'full' reply cut the prefix off), then 'x', 'qd' and the bar.
  local cap = adm_cap
  local wanted, starts, limits = {}, {}, {}
  for e = 0, cap - 1 do
    wanted[e + 1] = 'a:' .. int(e)
  end
  if n > 0 then
    local at = adm_at
    for r = 0, n - 1 do
      local scope, limit = ARGV[a + 6 + r], 0
      limit, at = struct.unpack('<i4', ARGV[a + 5], at)
      starts[r + 1], limits[r + 1] = #wanted + 1, limit
      local stem = qpre .. scope .. ':'
      for e = 0, limit - 1 do
        wanted[#wanted + 1] = stem .. int(e)
      end
    end
  end
  local nf = #wanted
  wanted[nf + 1] = 'x'
  wanted[nf + 2] = 'qd'
  local branch = ARGV[a + 2]
  if branch ~= '' then
    wanted[nf + 3] = 'b:' .. branch
  end
  local values = {} -- nothing to read when only the call limit or the rate is judged
  if nf > 0 or branch ~= '' then
    values = redis.call('HMGET', h, unpack(wanted))
  end
  if branch ~= '' then
    local untilMs = values[nf + 3]
    if untilMs and untilMs + 0 > now then
      return nil, { 'barred' }
    end
  end
  local nonce, grace = ARGV[a], adm_grace
  local plan = { take_a = {}, take_q = {}, fields_a = {}, fields_q = {}, deadline = nil }
  local undecided, active_full, quota_full = {}, 0, 0
  if cap > 0 then
    if not choose_entry(plan, undecided, nonce, grace, now, wanted, values, 1, 'a', cap, plan.take_a, plan.fields_a, 0) then
      active_full = 1
    end
  end
  for r = 1, n do
    if not choose_entry(plan, undecided, nonce, grace, now, wanted, values, starts[r], 'q', limits[r], plan.take_q, plan.fields_q, #qpre) then
      quota_full = 1
    end
  end
  if active_full + quota_full > 0 then
    local reply = { 'full', active_full, quota_full }
    for _, x in ipairs(undecided) do
      for _, y in ipairs(x) do
        reply[#reply + 1] = y
      end
    end
    return nil, reply
  end
  plan.deadline = plan.deadline or (now + adm_lease)
  plan.value = ARGV[a + 1] .. '|' .. nonce .. '|' .. int(plan.deadline)
  plan.k, plan.a, plan.qpre, plan.x, plan.qd, plan.now = k, a, qpre, values[nf + 1], values[nf + 2], now
  return plan, nil
end

-- A day's records in 'qd' whose expiry has passed: their entries deleted (HSCAN of the patient's records: a few fields,
-- once per patient and day); returns 'qd' without them and with the day of qpre (expiry 'until', 13 digits) when absent.
local function quota_days(h, qd, qpre, until_s, now)
  local day = string.sub(qpre, 2, 9)
  local kept, has = {}, false
  for r = 1, #qd, 21 do
    local d, e = string.sub(qd, r, r + 7), string.sub(qd, r + 8, r + 20)
    if d == day then
      has = true
      kept[#kept + 1] = d .. e
    elseif e + 0 > now then
      kept[#kept + 1] = d .. e
    else
      local cursor, dead = '0', {}
      repeat
        local page = redis.call('HSCAN', h, cursor, 'MATCH', 'q' .. d .. ':*', 'COUNT', 100)
        cursor = page[1]
        for j = 1, #page[2], 2 do
          dead[#dead + 1] = page[2][j]
        end
      until cursor == '0'
      if #dead > 0 then
        redis.call('HDEL', h, unpack(dead))
      end
    end
  end
  if not has then
    kept[#kept + 1] = day .. until_s
  end
  return table.concat(kept)
end

-- Writes a plan's entries (and takes the call's place): nothing of it is written before this. One HSET of the patient's
-- records for the entries taken, and for 'x' and 'qd' when they change; a PEXPIREAT only when the key's life grows (a
-- patient's first hold, a later day's quota), known from 'x' read with the entries.
local function admission_take(plan)
  local k, a = plan.k, plan.a
  local h = KEYS[k + 1]
  local w = {}
  for _, f in ipairs(plan.take_a) do
    w[#w + 1] = f
    w[#w + 1] = plan.value
  end
  for _, f in ipairs(plan.take_q) do
    w[#w + 1] = f -- stored names already
    w[#w + 1] = plan.value
  end
  local expire = nil
  if #plan.fields_a > 0 then
    expire = ARGV[a + 3]
  end
  if #plan.fields_q > 0 then
    if not expire or ARGV[a + 4] + 0 > expire + 0 then
      expire = ARGV[a + 4]
    end
    if #plan.take_q > 0 then
      local qd = quota_days(h, plan.qd or '', plan.qpre, ARGV[a + 4], plan.now)
      if qd ~= plan.qd then
        w[#w + 1] = 'qd'
        w[#w + 1] = qd
      end
    end
  end
  if expire and plan.x and plan.x + 0 >= expire + 0 then
    expire = nil
  end
  if expire then
    w[#w + 1] = 'x'
    w[#w + 1] = expire
  end
  if #w > 0 then
    redis.call('HSET', h, unpack(w))
  end
  if expire then
    redis.call('PEXPIREAT', h, expire)
  end
  if adm_call > 0 then
    if redis.call('INCR', KEYS[k + 4]) == 1 then
      redis.call('PEXPIRE', KEYS[k + 4], int(adm_call_ms))
    end
  end
end

-- At the rush (issue 12). The day's release schedule and reservation are stored with the day, in its template text
-- (meta 'tpl', written once by the publish that opens the day, after the three template fields; TemplateText.cs),
-- with fixed-width numbers so that Lua reads them by position (string.sub is a third of string.match's cost):
--   '|o:<basis: 0 none, 1 patient key, 2 birth year>:<first opening ms>:<last opening ms>:<cohort 0 opens>,<1>,...'
--     (every instant in 13 digits: Unix ms until the year 2286)
--   '|r:<released at ms, 13 digits>:<seats, 2 digits>:<every nth slot, 4 digits>:<release-before ticks>:<pool>'
--     (the pool last: it may hold any character)
-- so every node judges a day by the same stored policy, whatever its own options. The rules are the core's
-- (ReleasePolicy.CohortOf, ReservedCapacity); the C# side passes only the claim's own facts (birth year, pool).
-- Cost: one HGET of the text and two plain finds when the day has neither; the cohort is computed only while some
-- cohorts are open and others not; the reservation's seats only before its release, for a run touching a reserved slot.
local rush_tpl = nil
local function rush_text(meta)
  if not rush_tpl then
    rush_tpl = redis.call('HGET', meta, 'tpl') or ''
  end
  return rush_tpl
end

-- ReleasePolicy.CohortOf for CohortBasis.PatientKey: h = key * 0x9E3779B97F4A7C15 mod 2^64, cohort = floor(h * k / 2^64),
-- done exactly on 16-bit limbs, least significant first (every partial sum stays below 2^53), without tables.
local function rush_key_cohort(hex, k)
  local floor = math.floor
  local a0, a1 = tonumber(string.sub(hex, 13, 16), 16), tonumber(string.sub(hex, 9, 12), 16)
  local a2, a3 = tonumber(string.sub(hex, 5, 8), 16), tonumber(string.sub(hex, 1, 4), 16)
  local s = a0 * 0x7C15
  local h0 = s % 65536
  s = floor(s / 65536) + a0 * 0x7F4A + a1 * 0x7C15
  local h1 = s % 65536
  s = floor(s / 65536) + a0 * 0x79B9 + a1 * 0x7F4A + a2 * 0x7C15
  local h2 = s % 65536
  s = floor(s / 65536) + a0 * 0x9E37 + a1 * 0x79B9 + a2 * 0x7F4A + a3 * 0x7C15
  local h3 = s % 65536
  local c = floor(h0 * k / 65536)
  c = floor((h1 * k + c) / 65536)
  c = floor((h2 * k + c) / 65536)
  return floor((h3 * k + c) / 65536)
end

-- Scheduled release (ReleasePolicy): true when a claim comes before its cohort opens the day (the day's stored schedule;
-- none stored: the day is open). patient: the claim's patient hex (16 digits); birth: its birth year, or '' for none.
local function rush_not_open(meta, patient, birth, now)
  local tpl = rush_text(meta)
  local at = string.find(tpl, '|o:', 1, true)
  if not at then
    return false
  end
  local r = string.find(tpl, '|r:', 1, true)
  if r and r < at then
    return false -- '|o:' inside the pool's name: no schedule stored
  end
  if now >= tonumber(string.sub(tpl, at + 19, at + 31)) then
    return false -- every cohort has opened: the common case after the rush
  end
  if now < tonumber(string.sub(tpl, at + 5, at + 17)) then
    return true -- no cohort has opened yet
  end
  local list = at + 33
  local k = ((r or #tpl + 1) - list + 1) / 14
  local basis, cohort = string.sub(tpl, at + 3, at + 3), 0
  if basis == '1' then
    cohort = rush_key_cohort(patient, k)
  elseif basis == '2' then
    local year = tonumber(birth or '')
    cohort = (year and year >= 0) and math.floor((year % 10) * k / 10) or k - 1
  end
  local p = list + cohort * 14
  return now < tonumber(string.sub(tpl, p, p + 12))
end

-- Reserved capacity (ReservedCapacity, the day's stored one): the seats a claim of len slots from first may try, as a
-- for loop's from, to, step. Every seat bottom-up when nothing is reserved, after the release, or when the claim
-- touches no reserved slot; a claim carrying the pool, every seat top-down (reserved seats first); any other claim,
-- bottom-up below the top reserved seats. No seat at all (every seat reserved) gives to < from: the caller answers
-- 'reserved'.
local function rush_seats(meta, cap, first, len, pool, now)
  local tpl = rush_text(meta)
  local at = string.find(tpl, '|r:', 1, true)
  if not at or now >= tonumber(string.sub(tpl, at + 3, at + 15)) then
    return 0, cap - 1, 1 -- nothing reserved, or released: the common case close to the day
  end
  local every = tonumber(string.sub(tpl, at + 20, at + 23))
  first, len = tonumber(first), tonumber(len)
  if math.ceil(first / every) * every >= first + len then
    return 0, cap - 1, 1
  end
  if string.sub(tpl, string.find(tpl, ':', at + 25, true) + 1) == pool then
    return cap - 1, 0, -1
  end
  return 0, cap - 1 - math.min(tonumber(string.sub(tpl, at + 17, at + 18)), cap), 1
end

-- Approval (issue 11, docs/lifecycle.md): a booking that awaits approval is a hold ('h') whose expiry is its approval
-- deadline, marked by the field 'u<token>' in the calendar's nonces hash (KEYS[4]; a calendar's tokens are unique, so a
-- marker never names another claim) and, since the flag, by its stored value ending with '|u' (c.flagged, parse above).
-- Every reclaim of an expired hold therefore releases an unapproved booking at its deadline unchanged; these functions
-- tell it apart. A marker outlives a release or a block of its claim (harmless: no later claim has its token) and goes
-- with the day. Scripts still write the marker with the flag, for nodes of older builds that read only the marker.
-- The rule (awaits_approval, lapse): a flagged claim awaits approval, answered from its value, no command. An unflagged
-- value may still be an unapproved booking stored by an older build (marker, no flag): only a hold can be one, and only
-- one expiring exactly at its day's approval deadline. So the marker is asked (HEXISTS, or lapse's HDEL) only for an
-- unflagged hold whose expiry equals deadline, or when the caller does not know the deadline (nil or '0': approval off,
-- or not passed to this script); a plain hold (expiring at claim time + hold length) costs no command. Limit: an older
-- build's unapproved booking stored under another approval policy (a deadline since changed) reads as a plain hold.
local function marker_may_exist(c, deadline)
  if c.flagged then
    return true
  end
  if c.kind ~= 'h' then
    return false
  end
  return not deadline or deadline == '0' or c.expiry == deadline + 0
end

-- deadline: the day's approval deadline ms as text (ARGV), or nil / '0' when unknown; see the rule above.
local function awaits_approval(nonces, c, deadline)
  if c.flagged then
    return true
  end
  if not marker_may_exist(c, deadline) then
    return false
  end
  return redis.call('HEXISTS', nonces, 'u' .. int(c.token)) == 1
end

local function mark_unapproved(nonces, token)
  redis.call('HSET', nonces, 'u' .. int(token), '1')
end

-- For a hold just removed at its expiry (c, parsed): true when it was an unapproved booking; its marker is dropped and,
-- with an audit stream, an ApprovalLapsed record (the core's AuditAction 8, by Actor.Administrator 4 on the web 0) appended.
-- deadline (optional): the day's approval deadline ms as text; without it an unflagged hold's marker is asked (HDEL).
local function lapse(nonces, audit, seat, c, now, deadline)
  if not marker_may_exist(c, deadline) then
    return false
  end
  if redis.call('HDEL', nonces, 'u' .. int(c.token)) == 0 and not c.flagged then
    return false
  end
  if audit then
    audit_append(audit, 8, seat, c.first, c.len, c.token, c.patient, 0, c.expiry, 4, 0, now)
  end
  return true
end

-- The per-call memos above (TIME, the day's template text, the admission's numbers) back to 'not read yet'. Only the
-- function library calls it, at the start of every call (FunctionLibrary.cs); a script run by EVALSHA makes them anew.
local function reset_call()
  time_s, time_us, time_ms = nil, nil, nil
  rush_tpl = nil
  bm_ini, bm_dirty = nil, false
  adm_lease, adm_grace, adm_cap, adm_call, adm_call_ms, adm_rate, adm_burst, adm_n, adm_at = 0, 0, 0, 0, 0, 0, 0, 0, nil
end
