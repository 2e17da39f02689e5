using SlotEngine.Redis.Client;
using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;
using SlotEngine.Stores;
using StackExchange.Redis;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>
/// The patient-side admission (<c>admission_check</c>/<c>admission_take</c> in lib.lua) run as the store sends it, on a
/// real server: <c>admit.lua</c>'s every reply (barred, call, full with the entries to check, ok with one lease, a twin
/// sharing its entries, dead entries removed), <c>quota_release.lua</c> giving back both hashes' entries, and the
/// admission inside <c>claim.lua</c> (its refusals as the claim's reply words; nothing taken unless the claim is made).
/// </summary>
public sealed class AdmissionScriptTests(StandaloneServerFixture fixture) : IClassFixture<StandaloneServerFixture>
{
    private const long Far = ScriptCalls.Far;

    private static readonly string PatientHex = ContractWorld.Patient(7).Value.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The admission's arguments: nonce, calendar, branch, the two expiries, the numbers packed (lease, grace, cap, call
    /// limit, call retention, rate interval and burst µs as little-endian 64-bit, the rule count and limits as 32-bit:
    /// admission_numbers in lib.lua, packed here by hand), the rules' scopes, then dead triples.
    /// </summary>
    /// <summary>A quota entry's stored field (stored layout 3): a field of the patient's records, prefixed by its day.</summary>
    private static string Q(string field) => "q" + ContractWorld.Day.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture) + ":" + field;

    /// <summary>How many active-cap entries ("a:&lt;i&gt;") the patient's records hold.</summary>
    private static async Task<int> CapEntriesAsync(IDatabase db, RedisKey records) =>
        (await db.HashKeysAsync(records)).Count(f => ((string)f!).StartsWith("a:", StringComparison.Ordinal));

    private static RedisValue[] Args(string nonce, string branch = "", int cap = 0, int callLimit = 0, (string Scope, int Limit)[]? rules = null, long rateInterval = 0, long rateBurst = 0, params RedisValue[] dead) =>
        ArgsUntil(Far, nonce, branch, cap, callLimit, rules, rateInterval, rateBurst, dead);

    /// <summary><see cref="Args"/> with the day's quota entries expiring at <paramref name="quotaExpiry"/> (unix ms).</summary>
    private static RedisValue[] ArgsUntil(long quotaExpiry, string nonce, string branch = "", int cap = 0, int callLimit = 0, (string Scope, int Limit)[]? rules = null, long rateInterval = 0, long rateBurst = 0, params RedisValue[] dead)
    {
        rules ??= [];
        var numbers = new byte[(7 * 8) + (4 * (1 + rules.Length))];
        long[] longs = [10_000, 2_000, cap, callLimit, 60_000, rateInterval, rateBurst];
        for (var i = 0; i < longs.Length; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(numbers.AsSpan(8 * i), longs[i]);
        }

        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(numbers.AsSpan(56), rules.Length);
        for (var i = 0; i < rules.Length; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(numbers.AsSpan(60 + (4 * i)), rules[i].Limit);
        }

        List<RedisValue> args = [nonce, "100:20991231", branch, Far, quotaExpiry, numbers];
        foreach (var (scope, _) in rules)
        {
            args.Add(scope);
        }

        return [.. args, .. dead];
    }

    [Fact]
    public async Task Admit_answers_barred_call_full_or_one_lease_and_a_twin_shares_its_entries()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(fixture.Server.Endpoint);
        var db = redis.GetDatabase();
        var keys = new StoreKeys("adm" + Guid.NewGuid().ToString("N")[..8] + ":", cluster: false);
        var patient = ContractWorld.Patient(7);
        RedisKey[] patientKeys = [keys.BarKey(patient), keys.ActiveKey(patient), keys.QuotaKey(patient, ContractWorld.Day), keys.RateKey(patient)];
        RedisKey[] withCall = [.. patientKeys, keys.CallKey("call-1")];
        async Task<RedisResult[]> AdmitAsync(RedisKey[] k, RedisValue[] a) => (RedisResult[])(await db.ScriptEvaluateAsync(StoreScripts.Admit.Text, k, a))!;

        // Barred on branch 1 until far ahead: refused, nothing taken; another branch is admitted.
        await db.HashSetAsync(patientKeys[1], "b:1", Far); // the bars are fields of the patient's records (stored layout 3)
        Assert.Equal("barred", (string?)(await AdmitAsync(patientKeys, Args("n1", branch: "1", cap: 2)))[0]);
        Assert.Equal(1, await db.HashLengthAsync(patientKeys[1])); // the bar alone: nothing taken
        Assert.False(await db.KeyExistsAsync(patientKeys[0])); // no key of its own

        // A call at its limit: refused before anything else.
        await db.StringSetAsync(withCall[4], 4);
        Assert.Equal("call", (string?)(await AdmitAsync(withCall, Args("n1", callLimit: 4, cap: 2)))[0]);

        // One lease: the cap's field and one per quota rule, written with one value; the call's place taken with them.
        var ok = await AdmitAsync(withCall, Args("n1", branch: "2", cap: 2, callLimit: 5, rules: [("c:10", 1), ("f:1", 2)]));
        Assert.Equal("ok", (string?)ok[0]);
        var deadline = (long)ok[1];
        Assert.Equal(["a:0", "c:10:0", "f:1:0"], ok.Skip(2).Select(r => (string)r!));
        var value = "100:20991231|n1|" + deadline;
        Assert.Equal(value, (string?)await db.HashGetAsync(patientKeys[1], "a:0"));
        Assert.Equal(value, (string?)await db.HashGetAsync(patientKeys[1], Q("c:10:0")));
        Assert.False(await db.KeyExistsAsync(patientKeys[2])); // the day's entries are fields of the records
        Assert.Equal(Far, (long)await db.HashGetAsync(patientKeys[1], "x")); // the key's expiry, the latest of its records'
        Assert.Equal(Far, (long)await db.ExecuteAsync("PEXPIRETIME", patientKeys[1]));
        Assert.Equal(ContractWorld.Day.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture) + Far, (string?)await db.HashGetAsync(patientKeys[1], "qd"));
        Assert.Equal(5, (long)await db.StringGetAsync(withCall[4]));

        // A twin of the same request (same nonce) shares the entries and the deadline.
        var twin = await AdmitAsync(patientKeys, Args("n1", cap: 2, rules: [("c:10", 1), ("f:1", 2)]));
        Assert.Equal(deadline, (long)twin[1]);
        Assert.Equal(1, await CapEntriesAsync(db, patientKeys[1]));

        // Another claim: the clinic rule is full; the reply names its entry (quota hash 'q', lease not passed).
        var full = await AdmitAsync(patientKeys, Args("n2", cap: 2, rules: [("c:10", 1), ("f:1", 2)]));
        Assert.Equal(["full", "0", "1", "q", "c:10:0", value, "0"], full.Select(r => (string)r!));
        Assert.Equal(1, await CapEntriesAsync(db, patientKeys[1])); // nothing taken

        // Proven dead (by the caller's liveness check), the entry is removed and the claim admitted in its place.
        var admitted = await AdmitAsync(patientKeys, Args("n2", cap: 2, rules: [("c:10", 1), ("f:1", 2)], dead: ["q", "c:10:0", value]));
        Assert.Equal("ok", (string?)admitted[0]);
        Assert.Equal(["a:1", "c:10:0", "f:1:1"], admitted.Skip(2).Select(r => (string)r!));

        // The cap full as well: the reply says which rules are full, cap first.
        var capFull = await AdmitAsync(patientKeys, Args("n3", cap: 2, rules: [("c:10", 1)]));
        Assert.Equal(["full", "1", "1"], capFull.Take(3).Select(r => (string)r!));
        Assert.Equal(["a", "a", "q"], capFull.Skip(3).Where((_, i) => i % 4 == 0).Select(r => (string)r!));

        // Give-back of the second claim's entries: both hashes in one call, only while they hold its value.
        var second = "100:20991231|n2|" + (long)admitted[1];
        var removed = await db.ScriptEvaluateAsync(StoreScripts.QuotaRelease.Text, [patientKeys[1], patientKeys[2]], [second, 1, "a:1", 2, "c:10:0", 2, "f:1:1", 2, "f:1:0"]);
        Assert.Equal(3, (long)removed);
        Assert.Equal(value, (string?)await db.HashGetAsync(patientKeys[1], Q("f:1:0"))); // the first claim's entry stays
        Assert.False(await db.HashExistsAsync(patientKeys[1], Q("f:1:1")));
    }

    [Fact]
    public async Task In_the_claim_script_the_admission_refuses_with_the_claims_words_and_takes_nothing_unless_it_claims()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => o.Engine.Quotas = QuotaPolicy.None);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(fixture.Server.Endpoint);
        var node = await nodes.AddAsync();
        await node.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        var db = redis.GetDatabase();
        var store = new StoreKeys(nodes.Prefix, cluster: false);
        var keys = store.For(new CalendarKey(ContractWorld.Doctor, ContractWorld.Day));
        var patient = ContractWorld.Patient(7);
        RedisKey[] patientKeys = [store.BarKey(patient), store.ActiveKey(patient), store.QuotaKey(patient, ContractWorld.Day), store.RateKey(patient)];

        async Task<ClaimScriptReply> ClaimAsync(int first, RedisValue[] admission, RedisKey[]? admissionKeys = null)
        {
            admissionKeys ??= patientKeys;
            RedisValue[] args = [keys.Feed, "0", keys.Reference, first, 1, PatientHex, 0, Far, 0, Far, (string)admission[0]!, 0, "d", 60_000, ReadModel.MaxToken, "0", 0, 0, 5, .. admission];
            return ClaimScriptReply.Parse(new RedisReply(await db.ScriptEvaluateAsync(StoreScripts.Claim.Text, [.. keys.ScriptKeys, .. admissionKeys], args)));
        }

        await db.HashSetAsync(patientKeys[1], "b:1", Far);
        Assert.Equal(ClaimScriptStatus.Barred, (await ClaimAsync(3, Args("n1", branch: "1", cap: 1))).Status);
        await db.StringSetAsync(store.CallKey("c"), 1);
        Assert.Equal(ClaimScriptStatus.CallLimit, (await ClaimAsync(3, Args("n1", cap: 1, callLimit: 1), [.. patientKeys, store.CallKey("c")])).Status);

        // A taken slot: the admission passed, but nothing is written without the claim.
        Assert.Equal(ClaimScriptStatus.Ok, (await ClaimAsync(3, Args("n1", cap: 2))).Status);
        Assert.Equal(ClaimScriptStatus.Taken, (await ClaimAsync(3, Args("n2", cap: 2))).Status);
        Assert.Equal(1, await CapEntriesAsync(db, patientKeys[1]));
        Assert.Equal("0:3:", ((string?)await db.HashGetAsync(keys.Nonces, "n1"))![..4]); // the nonce names the claim

        Assert.Equal(ClaimScriptStatus.Ok, (await ClaimAsync(4, Args("n3", cap: 2))).Status);
        Assert.Equal(ClaimScriptStatus.Full, (await ClaimAsync(5, Args("n4", cap: 2))).Status);

        // The admission rate, judged first: two attempts at once (burst one interval), both counted though the second
        // is refused by the cap; the third is refused by the rate, with the slot left free and the instant unmoved.
        const long hour = 3_600_000_000;
        Assert.Equal(ClaimScriptStatus.Full, (await ClaimAsync(6, Args("n5", cap: 2, rateInterval: hour, rateBurst: hour))).Status);
        Assert.Equal(ClaimScriptStatus.Full, (await ClaimAsync(6, Args("n6", cap: 2, rateInterval: hour, rateBurst: hour))).Status);
        var instant = (long)await db.StringGetAsync(patientKeys[3]);
        Assert.Equal(ClaimScriptStatus.RateLimited, (await ClaimAsync(6, Args("n7", cap: 3, rateInterval: hour, rateBurst: hour))).Status);
        Assert.Equal(instant, (long)await db.StringGetAsync(patientKeys[3]));
        Assert.False(await db.HashExistsAsync(keys.Claims, "0:6"));
    }

    [Fact]
    public async Task A_bar_is_a_field_of_the_patients_records_and_the_key_lives_as_long_as_its_latest_record()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(fixture.Server.Endpoint);
        var db = redis.GetDatabase();
        var keys = new StoreKeys("adb" + Guid.NewGuid().ToString("N")[..8] + ":", cluster: false);
        var patient = ContractWorld.Patient(7);
        var records = keys.ActiveKey(patient);

        // The patient's records with a cap entry living until Far: a bar ending sooner leaves the key's expiry alone.
        Assert.Equal("ok", (string?)((RedisResult[])(await db.ScriptEvaluateAsync(StoreScripts.Admit.Text, [keys.BarKey(patient), records, keys.QuotaKey(patient, ContractWorld.Day), keys.RateKey(patient)], Args("n1", cap: 1)))!)[0]);
        var end = (long)await db.ScriptEvaluateAsync(StoreScripts.BarSet.Text, [records], ["1", 3_600_000]);
        Assert.Equal(end, (long)await db.HashGetAsync(records, "b:1"));
        Assert.Equal(Far, (long)await db.HashGetAsync(records, "x"));
        Assert.Equal(Far, (long)await db.ExecuteAsync("PEXPIRETIME", records));
        Assert.False(await db.KeyExistsAsync(keys.BarKey(patient)));

        // On records with no later life, the bar's end becomes the key's expiry.
        var other = keys.ActiveKey(ContractWorld.Patient(8));
        var end2 = (long)await db.ScriptEvaluateAsync(StoreScripts.BarSet.Text, [other], ["1", 3_600_000]);
        Assert.Equal(end2, (long)await db.HashGetAsync(other, "x"));
        Assert.Equal(end2, (long)await db.ExecuteAsync("PEXPIRETIME", other));

        // The admission reads the bar from the records; lifting it removes the field alone.
        Assert.Equal("barred", (string?)((RedisResult[])(await db.ScriptEvaluateAsync(StoreScripts.Admit.Text, [keys.BarKey(patient), records, keys.QuotaKey(patient, ContractWorld.Day), keys.RateKey(patient)], Args("n2", branch: "1", cap: 2)))!)[0]);
        Assert.Equal(1, (long)await db.ScriptEvaluateAsync(StoreScripts.BarLift.Text, [records], ["1"]));
        Assert.False(await db.HashExistsAsync(records, "b:1"));
        Assert.Equal(1, await CapEntriesAsync(db, records));
    }

    [Fact]
    public async Task A_days_quota_entries_are_deleted_by_a_later_admission_once_their_stored_expiry_has_passed()
    {
        // Stored layout 3: the day's entries are fields of the patient's records, so they no longer expire with a key of
        // their own; 'qd' keeps each day's expiry, and an admission taking entries of another day deletes the passed ones.
        await using var redis = await ConnectionMultiplexer.ConnectAsync(fixture.Server.Endpoint);
        var db = redis.GetDatabase();
        var keys = new StoreKeys("adq" + Guid.NewGuid().ToString("N")[..8] + ":", cluster: false);
        var patient = ContractWorld.Patient(7);
        var today = ContractWorld.Day;
        var later = today.AddDays(1);
        RedisKey[] TodayKeys() => [keys.BarKey(patient), keys.ActiveKey(patient), keys.QuotaKey(patient, today), keys.RateKey(patient)];
        RedisKey[] LaterKeys() => [keys.BarKey(patient), keys.ActiveKey(patient), keys.QuotaKey(patient, later), keys.RateKey(patient)];
        async Task<string?> AdmitAsync(RedisKey[] k, RedisValue[] a) => (string?)((RedisResult[])(await db.ScriptEvaluateAsync(StoreScripts.Admit.Text, k, a))!)[0];
        string D(DateOnly d) => d.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);
        var records = keys.ActiveKey(patient);

        // Today's entries with an expiry already passed (a day long gone, 13 digits); the cap keeps the key alive (Far).
        const long passed = 1_000_000_000_000;
        Assert.Equal("ok", await AdmitAsync(TodayKeys(), ArgsUntil(passed, "n1", cap: 3, rules: [("c:10", 1), ("f:1", 2)])));
        Assert.True(await db.HashExistsAsync(records, "q" + D(today) + ":c:10:0"));
        Assert.Equal(D(today) + passed, (string?)await db.HashGetAsync(records, "qd"));

        // A claim on another day takes its own entries and deletes today's (their expiry passed); the cap's stay.
        Assert.Equal("ok", await AdmitAsync(LaterKeys(), Args("n2", cap: 3, rules: [("c:10", 1), ("f:1", 2)])));
        var fields = (await db.HashKeysAsync(records)).Select(f => (string)f!).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["a:0", "a:1", "q" + D(later) + ":c:10:0", "q" + D(later) + ":f:1:0", "qd", "x"], fields);
        Assert.Equal(D(later) + Far, (string?)await db.HashGetAsync(records, "qd"));

        // Another claim on the later day: its day is known already, nothing to delete, 'qd' unchanged.
        Assert.Equal("ok", await AdmitAsync(LaterKeys(), Args("n3", cap: 3, rules: [("f:1", 2)])));
        Assert.Equal(D(later) + Far, (string?)await db.HashGetAsync(records, "qd"));
        Assert.Equal(Far, (long)await db.ExecuteAsync("PEXPIRETIME", records));
    }

    [Fact]
    public async Task Admit_counts_an_attempt_whatever_follows_and_refuses_past_the_burst_writing_nothing()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(fixture.Server.Endpoint);
        var db = redis.GetDatabase();
        var keys = new StoreKeys("adr" + Guid.NewGuid().ToString("N")[..8] + ":", cluster: false);
        var patient = ContractWorld.Patient(7);
        RedisKey[] patientKeys = [keys.BarKey(patient), keys.ActiveKey(patient), keys.QuotaKey(patient, ContractWorld.Day), keys.RateKey(patient)];
        async Task<string?> AdmitAsync(RedisValue[] a) => (string?)((RedisResult[])(await db.ScriptEvaluateAsync(StoreScripts.Admit.Text, patientKeys, a))!)[0];
        const long hour = 3_600_000_000;

        // No rate: the key is not touched.
        Assert.Equal("ok", await AdmitAsync(Args("r0")));
        Assert.False(await db.KeyExistsAsync(patientKeys[3]));

        // Two attempts allowed at once: the first admitted, the second counted though the bar refuses it, the third refused.
        await db.HashSetAsync(patientKeys[1], "b:1", Far);
        Assert.Equal("ok", await AdmitAsync(Args("r1", rateInterval: hour, rateBurst: hour)));
        Assert.Equal("barred", await AdmitAsync(Args("r2", branch: "1", rateInterval: hour, rateBurst: hour)));
        var instant = (long)await db.StringGetAsync(patientKeys[3]);
        Assert.Equal("rate", await AdmitAsync(Args("r3", rateInterval: hour, rateBurst: hour)));
        Assert.Equal(instant, (long)await db.StringGetAsync(patientKeys[3]));
        Assert.True(await db.KeyTimeToLiveAsync(patientKeys[3]) is { } ttl && ttl > TimeSpan.Zero);

        // A later round of the same claim sends no rate: admitted without counting.
        Assert.Equal("ok", await AdmitAsync(Args("r3")));
        Assert.Equal(instant, (long)await db.StringGetAsync(patientKeys[3]));
    }
}
