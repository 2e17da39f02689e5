-- Shared by every calendar script (prepended to each when it is loaded).
-- A calendar's keys, all on the hash tag {p:<provider>:<yyyymmdd>}:
--   KEYS[1] meta   hash: tpl, slots, cap, wpl (64-bit words per seat; the field keeps its stored name), ver (version), tok (last token)
--   KEYS[2] free   string: the free bitmap, seat after seat, wpl little-endian 64-bit words per seat;
--                  slot s of seat l is bit (s % 8) counted from the least significant bit of byte
--                  l*wpl*8 + s/8, which is Redis bit offset l*wpl*64 + (s - s%8) + (7 - s%8)
--   KEYS[3] claims hash: "<seat>:<slot>" -> "<token>|<h or b>|<first>|<length>|<patient hex>|<hold expiry ms>"
--                  one field per slot of a claim; free bit 0 with no field = closed; field '-' is a placeholder
--   KEYS[4] nonces hash: quota nonce -> "<seat>:<first>:<token>" (which claim a quota entry led to), or
--                  "x<lease deadline ms>" for a burned lease (see burn.lua); '-' placeholder
-- ARGV[1] change-feed channel, ARGV[2] '1' to SPUBLISH (cluster) or '0' to PUBLISH, ARGV[3] "<provider>:<yyyymmdd>"
-- Feed messages: "<provider>:<yyyymmdd>|<version>[|reset or |gone]|t<TIME in ms>[|delta]" (the t field tells readers
-- when the change was made, for the change-feed lag; messages without it are still understood; the delta, below).
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function bitpos(wpl, seat, slot)
  local within = slot % 8
  return seat * wpl * 64 + slot - within + 7 - within
end

local function field(seat, slot)
  return seat .. ':' .. slot
end

local function parse(v)
  local token, kind, first, len, patient, expiry = string.match(v, '^(%d+)|(%a)|(%d+)|(%d+)|(%x+)|(%d+)$')
  return { token = tonumber(token), kind = kind, first = tonumber(first), len = tonumber(len), patient = patient, expiry = tonumber(expiry), raw = v }
end

-- delta (optional): what the change did, for readers to apply without a reload (FeedDelta in StoreFormats.cs):
-- '+seat,first,length,token,patient hex,hold expiry ms (0 booked)' | '*seat,first,token' | '-seat,first,token'
local function bump(meta, delta)
  local v = redis.call('HINCRBY', meta, 'ver', 1)
  local message = ARGV[3] .. '|' .. v .. '|t' .. now_ms()
  if delta then
    message = message .. '|' .. delta
  end
  if ARGV[2] == '1' then
    redis.call('SPUBLISH', ARGV[1], message)
  else
    redis.call('PUBLISH', ARGV[1], message)
  end
  return v
end

-- Removes a claim (c, parsed) from its seat: its slots in [close_from, close_to) stay closed, the rest are freed.
local function remove_claim(free, claims, wpl, seat, c, close_from, close_to)
  for s = c.first, c.first + c.len - 1 do
    redis.call('HDEL', claims, field(seat, s))
    if s < close_from or s >= close_to then
      redis.call('SETBIT', free, bitpos(wpl, seat, s), 1)
    end
  end
end

local function describe(seat, c)
  return seat .. '|' .. c.first .. '|' .. c.len .. '|' .. c.token .. '|' .. c.kind .. '|' .. c.patient .. '|' .. c.expiry
end


-- Appends one audit record to the calendar's stream (its key is under the calendar's hash tag, so the same
-- script that makes a change records it: state and audit cannot diverge). The payload is a MessagePack array,
-- version 1: {1, action, seat, first, length, token, patient hex, booked 0/1, hold expiry ms, actor, channel,
-- TIME ms}; parsed by AuditFormat.cs (actions and codes: the core's AuditAction, Actor, BookingChannel).
local function audit_append(stream, action, seat, first, len, token, patient, booked, expiry, actor, channel, now)
  redis.call('XADD', stream, '*', 'd', cmsgpack.pack({ 1, action, seat, first, len, token, patient, booked, expiry, actor, channel, now }))
end

-- Opens a day (publish.lua, publish_many.lua): template text, slots, capacity, words per seat, initial free bitmap.
-- -> 'ok', version | 'exists', version | 'conflict', template text
local function open_day(meta, free, claims, nonces, channel, spublish, ref, tpl, slots, cap, wpl, bitmap, now)
  local existing = redis.call('HGET', meta, 'tpl')
  if existing then
    if existing == tpl then
      return 'exists', tonumber(redis.call('HGET', meta, 'ver'))
    end
    return 'conflict', existing
  end
  redis.call('HSET', meta, 'tpl', tpl, 'slots', slots, 'cap', cap, 'wpl', wpl, 'ver', 0, 'tok', 0)
  redis.call('SET', free, bitmap)
  -- The claims and nonces hashes get a placeholder field '-', so that all four keys exist while the day does: a
  -- cluster slot migration then moves them together and never finds a script's keys half present (TRYAGAIN).
  redis.call('DEL', claims, nonces)
  redis.call('HSET', claims, '-', '')
  redis.call('HSET', nonces, '-', '')
  -- A new generation of the day: versions start again, so the message says "reset" (every node reloads it).
  local version = redis.call('HINCRBY', meta, 'ver', 1)
  local message = ref .. '|' .. version .. '|reset|t' .. now
  if spublish == '1' then
    redis.call('SPUBLISH', channel, message)
  else
    redis.call('PUBLISH', channel, message)
  end
  return 'ok', version
end

-- The claim a reservation names (seat, first slot, token, the patient's hex), parsed; nil when the day is gone or
-- the claim there is not this reservation's (another token, first slot or patient): the caller answers 'stale'.
-- Shared by confirm, release and outcome, so a reservation is checked one way everywhere.
local function reserved_claim(meta, claims, seat, first, token, patient)
  if redis.call('EXISTS', meta) == 0 then
    return nil
  end
  local v = redis.call('HGET', claims, field(seat, first))
  if not v then
    return nil
  end
  local c = parse(v)
  if c.token ~= token or c.first ~= first or c.patient ~= patient then
    return nil
  end
  return c
end

-- Approval (issue 11, docs/lifecycle.md): a booking that awaits approval is a hold ('h') whose expiry is its approval
-- deadline, marked by the field 'u<token>' in the calendar's nonces hash (KEYS[4]; a calendar's tokens are unique, so a
-- marker never names another claim). Every reclaim of an expired hold therefore releases an unapproved booking at its
-- deadline unchanged; these functions tell it apart. A marker outlives a release or a block of its claim (harmless: no
-- later claim has its token) and goes with the day.
local function awaits_approval(nonces, token)
  return redis.call('HEXISTS', nonces, 'u' .. token) == 1
end

local function mark_unapproved(nonces, token)
  redis.call('HSET', nonces, 'u' .. token, '1')
end

-- For a hold just removed at its expiry (c, parsed): true when it was an unapproved booking; its marker is dropped and,
-- with an audit stream, an ApprovalLapsed record (the core's AuditAction 8, by Actor.Administrator 4 on the web 0) appended.
local function lapse(nonces, audit, seat, c, now)
  if redis.call('HDEL', nonces, 'u' .. c.token) == 0 then
    return false
  end
  if audit then
    audit_append(audit, 8, seat, c.first, c.len, c.token, c.patient, 0, c.expiry, 4, 0, now)
  end
  return true
end
