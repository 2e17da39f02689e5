-- Admits a claim about to be made on the patient's tag (a cluster's two-step lease protocol, docs/quotas-distributed.md):
-- the admission rate, the bar, the active-appointment cap and the daily quotas in one step, by this shard's TIME
-- (admission_rate and admission_check in lib.lua for the KEYS and ARGV, from KEYS[1] and ARGV[1]). An entry already
-- holding this nonce (the same request sent again or at once by another client, under one idempotency key) is shared,
-- not taken twice. The rate's attempt, once admitted, is counted whatever follows (the caller sends a rate of 0 in a
-- later round of the same claim).
-- -> {'ok', lease deadline ms, the cap's field or '', quota fields...} | {'rate'} | {'barred'} | {'call'} | {'full', ...}
local limited = admission_rate(1, 1)
if limited then
  return limited
end
local plan, refusal = admission_check(1, 1)
if refusal then
  return refusal
end
admission_take(plan)
local reply = { 'ok', plan.deadline, plan.fields_a[1] or '' }
local cut = #plan.qpre + 1 -- the plan keeps stored names ('q<yyyymmdd>:<scope>:<id>:<i>'); the client knows '<scope>:<id>:<i>'
for _, f in ipairs(plan.fields_q) do
  table.insert(reply, string.sub(f, cut))
end
return reply
