-- Gives back a place of a call's limit taken by a claim that definitely did not happen (KEYS[1] the call's counter).
if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then
  return redis.call('DECR', KEYS[1])
end
return 0
