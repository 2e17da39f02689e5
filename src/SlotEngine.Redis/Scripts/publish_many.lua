-- Opens many days in one call (bulk publishing). The keys span many hash tags, so the script makes their names itself
-- from ARGV[3], the key prefix, as StoreKeys.Build does: <prefix>{p:<ref>}:m, :f, :c, :n.
-- On a standalone server any days; in a cluster the days of one primary (the client groups them by the node that owns
-- their hash slots and declares the first day's meta key, which routes the call there; a script without flags may
-- touch keys of several slots as long as the node serves them all). A day whose slot this node does not serve (moved
-- since the client grouped them) is answered 'moved' and left to the client, which opens it with publish.lua.
-- ARGV[1] channel (standalone), [2] '1' in a cluster (SPUBLISH on each day's shard channel, placeholders) or '0'
-- (PUBLISH on ARGV[1]), [3] key prefix, [4] how many shapes follow; then per shape: template text, slots, capacity,
-- words per seat, initial free bitmap; then per day: "<provider>:<yyyymmdd>", its shape's number (1-based), and in a
-- cluster its hash slot's feed channel (SlotChannels.cs), on which the reset is published and counted.
-- On a standalone server a day whose free bitmap is at most 64 bytes (8 words: e.g. up to 8 seats of up to 64 slots)
-- takes one read (meta's 'tpl': is the day open?) and one write: meta (version 1) with the initial free bitmap in its
-- field 'ini'; the free key is made only by a block or reopen (own_free in lib.lua; claims keep 'ini'), so a day opened makes one key,
-- not two (2.25 M days stay below 2^22 keys: no keyspace rehash; docs/redis-scale.md). A larger day takes that read
-- and two writes (its free bitmap, meta). In a cluster a day takes two writes: its free bitmap, made only if absent
-- (SET NX: there the free key exists exactly while meta does, so this is also the test whether the day is open, and an
-- error when the slot moved away; meta is read only when it is), and meta (version 1). The days
-- opened are announced by one "reset" feed message per channel and shape, not one per day:
--   "*<ref>,<ref>,...|1|reset|t<TIME ms>|n<template text, '|' written '/'>"
-- (PublishedBatch in StoreFormats.cs), counted once in the channel's change counter, so that other nodes lay every
-- new day in without reading it (FeedPublished in the store). Readers older than this form ignore it (its first field
-- is not a calendar). The claims and nonces are fields of meta (StoreKeys.Claims; lib.lua), so a day is meta and, when
-- not one key, its free key: no placeholders. Nothing of an earlier generation is left to delete: a withdraw deletes
-- the day's keys, and no script writes a claim without meta's 'wpl'; a meta without 'tpl' holds only leases burned
-- (burn.lua) before the day opened, which stay burned, as they should (HSET keeps them).
-- -> {day number (0-based), status, version or template text} for each day NOT opened ('exists', 'conflict' or
-- 'moved' with 0), flat; every other day was opened at version 1.
local now = int(now_ms())
local result = {}
local prefix, shapes = ARGV[3], tonumber(ARGV[4])
local cluster = ARGV[2] == '1'
local first_day = 5 + shapes * 5
-- The days opened, grouped by feed channel and shape (in the order first met): one message each.
local groups, order = {}, {}
local stride = cluster and 3 or 2
for a = first_day, #ARGV, stride do
  local ref, shape_s = ARGV[a], ARGV[a + 1]
  local s = 4 + (shape_s - 1) * 5
  local tag = prefix .. '{p:' .. ref .. '}'
  local meta, free, tpl = tag .. ':m', tag .. ':f', ARGV[s + 1]
  -- One key (standalone) only while the bitmap keeps meta a listpack (hash-max-listpack-value, 64 bytes by default):
  -- a larger value would turn meta into a hashtable, for good (~580 bytes against ~260 for the two keys).
  local one_key = not cluster and #ARGV[s + 5] <= 64
  local fresh, existing
  if cluster then
    fresh = redis.pcall('SET', free, ARGV[s + 5], 'NX')
  else
    -- Meta tells whether the day is open (a day opened as one key has no free key to test).
    existing = redis.call('HGET', meta, 'tpl')
    fresh = not existing
    if fresh and not one_key then
      redis.call('SET', free, ARGV[s + 5]) -- over any free key left without meta (no script leaves one)
    end
  end
  local open = false
  if type(fresh) == 'table' and fresh.err then
    result[#result + 1] = (a - first_day) / stride
    result[#result + 1] = 'moved'
    result[#result + 1] = 0
  elseif fresh then
    open = true
  else
    if cluster then
      existing = redis.call('HGET', meta, 'tpl')
    end
    if not existing then
      -- A free bitmap without meta (no script leaves one): opened as before this form, over it.
      redis.call('SET', free, ARGV[s + 5])
      open = true
    else
      result[#result + 1] = (a - first_day) / stride
      if existing == tpl then
        result[#result + 1] = 'exists'
        result[#result + 1] = tonumber(redis.call('HGET', meta, 'ver'))
      else
        result[#result + 1] = 'conflict'
        result[#result + 1] = existing
      end
    end
  end
  if open then
    local channel = ARGV[1]
    local group_key = shape_s
    if one_key then
      -- One key: the initial bitmap stays in meta ('ini') until a block or reopen makes the free key (own_free in lib.lua; claims, releases and sweeps change 'ini').
      redis.call('HSET', meta, 'tpl', tpl, 'slots', ARGV[s + 2], 'cap', ARGV[s + 3], 'wpl', ARGV[s + 4], 'ver', '1', 'tok', '0', 'ini', ARGV[s + 5])
    else
      redis.call('HSET', meta, 'tpl', tpl, 'slots', ARGV[s + 2], 'cap', ARGV[s + 3], 'wpl', ARGV[s + 4], 'ver', '1', 'tok', '0')
    end
    if cluster then
      channel = ARGV[a + 2]
      group_key = channel .. '\n' .. shape_s
      -- No placeholders: the claims and nonces are fields of meta (StoreKeys.Claims), so meta and the free key are the day.
    end
    local group = groups[group_key]
    if not group then
      group = { channel = channel, tpl = tpl, refs = {} }
      groups[group_key] = group
      order[#order + 1] = group
    end
    group.refs[#group.refs + 1] = ref
  end
end
for g = 1, #order do
  local group = order[g]
  local message = '*' .. table.concat(group.refs, ',') .. '|1|reset|t' .. now .. '|n' .. string.gsub(group.tpl, '|', '/')
  if cluster then
    redis.call('SPUBLISH', group.channel, message)
    redis.call('INCR', group.channel .. ':changes')
  else
    redis.call('PUBLISH', ARGV[1], message)
  end
end
if not cluster then
  count_changes(#order)
end
return result
