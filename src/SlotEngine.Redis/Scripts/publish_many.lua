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
-- A day takes three writes: meta (version 1), free bitmap and its "reset" feed message, which carries the template
-- ("|n<template text, '|' written '/'>") so that other nodes lay the new day in without reading it (FeedPublished in
-- the store). On a standalone server the claims and nonces hashes are made on first use: no slot migration can find a
-- script's keys half present (the reason publish.lua and, in a cluster, this script write placeholders). Nothing of an
-- earlier generation is left to delete: a withdraw deletes all four keys, and no script writes a claim without meta; a
-- nonces hash without meta holds only leases burned (burn.lua) before the day opened, which stay burned, as they should.
-- -> {day number (0-based), status, version or template text} for each day NOT opened ('exists', 'conflict' or
-- 'moved' with 0), flat; every other day was opened at version 1.
local now = now_ms()
local result = {}
local prefix, shapes = ARGV[3], tonumber(ARGV[4])
local cluster = ARGV[2] == '1'
local first_day = 5 + shapes * 5
local opened = 0
local notes = {}
local stride = cluster and 3 or 2
for a = first_day, #ARGV, stride do
  local ref, shape = ARGV[a], tonumber(ARGV[a + 1])
  local s = 4 + (shape - 1) * 5
  local tag = prefix .. '{p:' .. ref .. '}'
  local meta, tpl = tag .. ':m', ARGV[s + 1]
  local index = (a - first_day) / stride
  local existing = redis.pcall('HGET', meta, 'tpl')
  if type(existing) == 'table' and existing.err then
    result[#result + 1] = index
    result[#result + 1] = 'moved'
    result[#result + 1] = 0
  elseif existing then
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
    local note = notes[shape]
    if not note then
      note = '|n' .. string.gsub(tpl, '|', '/')
      notes[shape] = note
    end
    redis.call('HSET', meta, 'tpl', tpl, 'slots', ARGV[s + 2], 'cap', ARGV[s + 3], 'wpl', ARGV[s + 4], 'ver', 1, 'tok', 0)
    redis.call('SET', tag .. ':f', ARGV[s + 5])
    if cluster then
      redis.call('HSET', tag .. ':c', '-', '')
      redis.call('HSET', tag .. ':n', '-', '')
      redis.call('SPUBLISH', ARGV[a + 2], ref .. '|1|reset|t' .. now .. note)
      redis.call('INCR', ARGV[a + 2] .. ':changes')
    else
      redis.call('PUBLISH', ARGV[1], ref .. '|1|reset|t' .. now .. note)
    end
    opened = opened + 1
  end
end
if not cluster then
  count_changes(opened)
end
return result
