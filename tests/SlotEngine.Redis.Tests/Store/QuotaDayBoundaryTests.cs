using SlotEngine.Redis.Client;
using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;
using SlotEngine.Stores;
using StackExchange.Redis;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>
/// Why the Redis store has no day-boundary race of the in-memory quota ledger's kind (commit b5000ea: a claim passed
/// the time rules, a sweep at midnight dropped its day's quota tables, and the claim made fresh empty ones and passed
/// a limit already used). In Redis a claim's time rules, its read of the day's quota entries and its take of them are
/// one script judged by one reading of Redis's TIME, and nothing drops a day's quota hash but its own expiry, which
/// is set a day after the last instant any claim of that day can pass the time rules. These tests pin both halves.
/// </summary>
public sealed class QuotaDayBoundaryTests(StandaloneServerFixture fixture) : IClassFixture<StandaloneServerFixture>
{
    [Fact]
    public async Task A_days_quota_entries_outlive_by_a_day_the_last_claim_the_day_admits()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint);
        var node = await nodes.AddAsync();
        await node.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.AllDay);
        var calendar = new CalendarKey(ContractWorld.Doctor, ContractWorld.Day);
        var patient = ContractWorld.Patient(3);

        // The day's last slot (23:50 local): the latest instant a claim of this day passes the 'past' rule is just before it.
        var last = ContractWorld.AllDay.SlotCount - 1;
        Assert.Equal(new TimeOnly(23, 50), ContractWorld.AllDay.StartOf(last));
        Assert.True((await node.ClaimAsync(ClaimRequest.Book(calendar, SlotRange.Single(last), patient))).Succeeded);

        // The MHRS clinic rule (one a day) is taken in the day's hash: a second claim of the same clinic and day is refused.
        Assert.Equal(ClaimStatus.QuotaExceeded, (await node.ClaimAsync(ClaimRequest.Book(calendar, SlotRange.Single(0), patient))).Status);

        await using var redis = await ConnectionMultiplexer.ConnectAsync(fixture.Server.Endpoint);
        // Stored layout 3: the day's entries are fields of the patient's records, and the day's expiry is its 'qd' record
        // ("<yyyymmdd><expiry ms>"); the records key lives at least as long (its expiry is the latest of its records').
        var store = new StoreKeys(nodes.Prefix, cluster: false);
        var db = redis.GetDatabase();
        Assert.False(await db.KeyExistsAsync(store.QuotaKey(patient, ContractWorld.Day)));
        var days = (string?)await db.HashGetAsync(store.ActiveKey(patient), "qd");
        var day = ContractWorld.Day.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(days is { Length: 21 } && days.StartsWith(day, StringComparison.Ordinal), days);
        var expiresMs = long.Parse(days![8..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True((long)await db.ExecuteAsync("PEXPIRETIME", store.ActiveKey(patient)) >= expiresMs, "the records key outlives the day's entries");

        var lastStartMs = LocalMs(ContractWorld.Day, new TimeOnly(23, 50));
        var dayEndMs = LocalMs(ContractWorld.Day.AddDays(1), TimeOnly.MinValue);
        Assert.True(lastStartMs < dayEndMs);

        // Expiry at the local midnight that ends the next day: at least 23 hours (a day less a daylight-saving hour)
        // after any claim of the day can pass the time rules, far beyond the clock-skew grace and the quota lease that
        // bound a cluster's two-step admission (admit.lua on the patient's shard, claim.lua on the calendar's).
        Assert.Equal(LocalMs(ContractWorld.Day.AddDays(2), TimeOnly.MinValue), expiresMs);
        var margin = TimeSpan.FromMilliseconds(expiresMs - lastStartMs);
        var options = new RedisSlotEngineOptions();
        Assert.True(margin >= TimeSpan.FromHours(23) + options.ClockSkewAllowance + options.QuotaLease, $"margin {margin}");
    }

    [Fact]
    public async Task A_claim_whose_day_has_passed_by_the_scripts_clock_takes_no_quota_entry_even_with_the_days_hash_gone()
    {
        // The in-memory race's order, played in one script: the day's quota hash is gone (as after its expiry) and the
        // claim arrives for a slot that has started by Redis's TIME. The admission would find fresh, empty entries, but
        // the time rule is judged in the same script by the same clock before anything is written: 'past', and no
        // entry taken, no hash made, no slot claimed.
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => o.Engine.Quotas = QuotaPolicy.None);
        var node = await nodes.AddAsync();
        await node.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(fixture.Server.Endpoint);
        var db = redis.GetDatabase();
        var store = new StoreKeys(nodes.Prefix, cluster: false);
        var keys = store.For(new CalendarKey(ContractWorld.Doctor, ContractWorld.Day));
        var patient = ContractWorld.Patient(7);
        var hex = patient.Value.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
        RedisKey[] patientKeys = [store.BarKey(patient), store.ActiveKey(patient), store.QuotaKey(patient, ContractWorld.Day), store.RateKey(patient)];
        Assert.False(await db.KeyExistsAsync(patientKeys[2]));

        async Task<ClaimScriptReply> ClaimAsync(string nonce, long firstStartMs)
        {
            RedisValue[] admission = [nonce, keys.Reference, "", 0, Far, Numbers(clinicLimit: 1), "c:10"];
            RedisValue[] args = [keys.Feed, "0", keys.Reference, 3, 1, hex, 0, firstStartMs, 0, Far, nonce, 0, "d", 60_000, ReadModel.MaxToken, "0", 0, 0, 5, .. admission];
            return ClaimScriptReply.Parse(new RedisReply(await db.ScriptEvaluateAsync(StoreScripts.Claim.Text, [.. keys.ScriptKeys, .. patientKeys], args)));
        }

        // The slot started a moment ago by any clock (an hour before the script's TIME).
        var started = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 3_600_000;
        Assert.Equal(ClaimScriptStatus.Past, (await ClaimAsync("late", started)).Status);
        Assert.False(await db.KeyExistsAsync(patientKeys[2]));
        Assert.False(await db.KeyExistsAsync(patientKeys[1]));
        Assert.False(await db.HashExistsAsync(keys.Claims, "0:3"));

        // The same claim for a slot still ahead takes the clinic's entry with the claim, in the same step.
        Assert.Equal(ClaimScriptStatus.Ok, (await ClaimAsync("ahead", Far)).Status);
        Assert.True(await db.HashExistsAsync(patientKeys[1], "q" + ContractWorld.Day.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture) + ":c:10:0"));
        Assert.False(await db.KeyExistsAsync(patientKeys[2])); // stored layout 3: a field of the patient's records
    }

    private const long Far = ScriptCalls.Far;

    private static long LocalMs(DateOnly day, TimeOnly time) =>
        new DateTimeOffset(day.ToDateTime(time), ContractWorld.Istanbul.GetUtcOffset(day.ToDateTime(time))).ToUnixTimeMilliseconds();

    /// <summary>admission_numbers in lib.lua: lease, grace, cap, call limit, call retention, rate interval and burst (64-bit), one rule's count and limit (32-bit).</summary>
    private static byte[] Numbers(int clinicLimit)
    {
        var numbers = new byte[(7 * 8) + 8];
        long[] longs = [10_000, 2_000, 0, 0, 60_000, 0, 0];
        for (var i = 0; i < longs.Length; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(numbers.AsSpan(8 * i), longs[i]);
        }

        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(numbers.AsSpan(56), 1);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(numbers.AsSpan(60), clinicLimit);
        return numbers;
    }
}
