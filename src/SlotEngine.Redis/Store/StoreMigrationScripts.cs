namespace SlotEngine.Redis;

/// <summary>
/// The Lua of <see cref="RedisStoreMigration"/>. Not part of the engine's script set or function library (no node loads
/// them; the migration sends them with <c>EVALSHA</c>, by text on <c>NOSCRIPT</c>). Each script changes keys of one hash tag
/// (one cluster slot) and runs as one step, so a fault between two scripts leaves every moved thing whole in its new form
/// and every other in its old one, and a re-run moves the rest.
/// </summary>
internal static class StoreMigrationScripts
{
    /// <summary>
    /// Begins (or resumes) a migration: KEYS[1] the layout key, KEYS[2] the fingerprint key; ARGV[1] the target version,
    /// ARGV[2] the marker prefix (<see cref="RedisStoreMigration.MarkerPrefix"/>). Replies a pair: <c>{'from', v}</c> after
    /// storing the marker of a migration from v (1: no version and a fingerprint; 2 or any smaller number), <c>{'resume',
    /// marker}</c> when a marker is stored, <c>{'empty', ''}</c> when neither key exists (nothing written), <c>{'refuse',
    /// stored}</c> for the target version or a newer one or anything else (nothing written).
    /// </summary>
    public const string Begin = """
        local stored = redis.call('GET', KEYS[1])
        local target = tonumber(ARGV[1])
        local from
        if not stored then
          if redis.call('EXISTS', KEYS[2]) == 0 then return { 'empty', '' } end
          from = 1
        elseif string.sub(stored, 1, #ARGV[2]) == ARGV[2] then
          return { 'resume', stored }
        else
          local v = tonumber(stored)
          if v == nil or v >= target or v < 1 or v ~= math.floor(v) then return { 'refuse', stored } end
          from = v
        end
        redis.call('SET', KEYS[1], ARGV[2] .. from .. '-to-' .. ARGV[1])
        return { 'from', tostring(from) }
        """;

    /// <summary>
    /// Puts a layout key back or forward: KEYS[1] the layout key; ARGV[1] the value it must hold (the marker), ARGV[2] the
    /// value to store ('' deletes the key: a layout-1 store had none). Replies 1 when set, 0 when the key held something else
    /// (nothing written).
    /// </summary>
    public const string Finish = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2]) end
        return 1
        """;

    /// <summary>
    /// One patient's records, layouts 1 and 2 to 3 (docs/redis.md "Stored layout"). KEYS[1] the records
    /// <c>&lt;P&gt;{a:&lt;hex&gt;}</c> (layout 2's active-appointment entries <c>a:&lt;i&gt;</c>, kept as they are), KEYS[2] the
    /// bars <c>…}:b</c>, KEYS[3..] the day quota hashes <c>…}:q:&lt;yyyymmdd&gt;</c> of every day the store holds any of (the
    /// absent ones cost an EXISTS); ARGV[i] the expiry (unix ms) to give KEYS[i + 2]'s day when its key has no TTL (2 days
    /// after the day, as the engine sets it). A day's fields <c>f</c> become <c>q&lt;day&gt;:f</c>, a bar's <c>&lt;branch&gt;</c>
    /// becomes <c>b:&lt;branch&gt;</c> (values as they are); <c>qd</c> gains each day with its key's expiry (13 digits);
    /// <c>x</c> becomes the latest expiry of all the keys (the records' own TTL included) and the key is <c>PEXPIREAT</c> it;
    /// the old keys are deleted. A records key with entries, a TTL and no <c>x</c> (a layout-2 patient with cap entries only)
    /// gets <c>x</c> = its TTL. Replies the number of old keys moved, plus 1 when <c>x</c> was written (0: nothing to do).
    /// </summary>
    public const string Patient = """
        local h = KEYS[1]
        local function ms(n) return string.format('%.0f', n) end
        local function day13(n) return string.format('%013.0f', n) end
        local x0 = tonumber(redis.call('HGET', h, 'x') or '0')
        local own = redis.call('PEXPIRETIME', h)
        local latest = x0
        if own > latest then latest = own end
        local qd0 = redis.call('HGET', h, 'qd') or ''
        local days, order = {}, {}
        for r = 1, #qd0, 21 do
          local d = string.sub(qd0, r, r + 7)
          if days[d] == nil then order[#order + 1] = d end
          days[d] = tonumber(string.sub(qd0, r + 8, r + 20))
        end
        local moved = 0
        local w = {}
        local function flush()
          if #w > 0 then
            redis.call('HSET', h, unpack(w))
            w = {}
          end
        end
        local function add(f, v)
          w[#w + 1] = f
          w[#w + 1] = v
          if #w >= 1000 then flush() end
        end
        for i = 3, #KEYS do
          local k = KEYS[i]
          local all = redis.call('HGETALL', k)
          if #all > 0 then
            local day = string.sub(k, -8)
            local e = redis.call('PEXPIRETIME', k)
            if e < 0 then e = tonumber(ARGV[i - 2]) end
            for j = 1, #all, 2 do add('q' .. day .. ':' .. all[j], all[j + 1]) end
            if days[day] == nil then order[#order + 1] = day end
            if days[day] == nil or e > days[day] then days[day] = e end
            if e > latest then latest = e end
            redis.call('DEL', k)
            moved = moved + 1
          end
        end
        local bars = redis.call('HGETALL', KEYS[2])
        if #bars > 0 then
          local e = redis.call('PEXPIRETIME', KEYS[2])
          for j = 1, #bars, 2 do
            add('b:' .. bars[j], bars[j + 1])
            local u = tonumber(bars[j + 1]) or 0
            if e < 0 and u > latest then latest = u end
          end
          if e > latest then latest = e end
          redis.call('DEL', KEYS[2])
          moved = moved + 1
        end
        if moved > 0 then
          local qd = {}
          for _, d in ipairs(order) do qd[#qd + 1] = d .. day13(days[d]) end
          local s = table.concat(qd)
          if s ~= qd0 then add('qd', s) end
        end
        local wrote_x = 0
        if latest > 0 and latest ~= x0 and (moved > 0 or own > 0) then
          add('x', ms(latest))
          wrote_x = 1
        end
        flush()
        if wrote_x == 1 then redis.call('PEXPIREAT', h, ms(latest)) end
        return moved + wrote_x
        """;

    /// <summary>
    /// One calendar's claims and nonce records, layout 1 to 2 (docs/redis.md "Stored layout"): KEYS[1] meta
    /// <c>&lt;P&gt;{p:&lt;provider&gt;:&lt;yyyymmdd&gt;}:m</c>, KEYS[2] its claims hash <c>…:c</c>, KEYS[3] its nonces hash <c>…:n</c>.
    /// Every field but the placeholder <c>-</c> is written into meta as it is (names and values), the two hashes are deleted;
    /// meta made anew here (a day with only burned leases) gets their latest TTL, if they both had one. The free key
    /// <c>…:f</c> stays. Replies the number of hashes moved (0: nothing to do).
    /// </summary>
    public const string Calendar = """
        local meta = KEYS[1]
        local existed = redis.call('EXISTS', meta) == 1
        local moved, latest, forever = 0, 0, false
        local w = {}
        local function flush()
          if #w > 0 then
            redis.call('HSET', meta, unpack(w))
            w = {}
          end
        end
        for i = 2, 3 do
          local all = redis.call('HGETALL', KEYS[i])
          if #all > 0 then
            local e = redis.call('PEXPIRETIME', KEYS[i])
            if e < 0 then forever = true elseif e > latest then latest = e end
            for j = 1, #all, 2 do
              if all[j] ~= '-' then
                w[#w + 1] = all[j]
                w[#w + 1] = all[j + 1]
                if #w >= 1000 then flush() end
              end
            end
            redis.call('DEL', KEYS[i])
            moved = moved + 1
          end
        end
        flush()
        if moved > 0 and not existed and not forever and latest > 0 and redis.call('EXISTS', meta) == 1 then
          redis.call('PEXPIREAT', meta, string.format('%.0f', latest))
        end
        return moved
        """;
}
