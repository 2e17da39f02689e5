using SlotEngine.Redis.Client;
using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;
using SlotEngine.Stores;
using StackExchange.Redis;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>
/// Every key the patient-side scripts touch is declared in KEYS (Redis requires it: a cluster routes by the declared keys,
/// and Redis 7 does not support touching others). In stored layout 3 a day's quota name is a view of the patient's
/// records key: <c>move_entries.lua</c> and <c>quota_release.lua</c> refuse a view whose records key is not declared,
/// on a real server; and a move with quotas but no active cap (the path that used to reach the records key through the
/// day's name alone) runs with the records key declared.
/// </summary>
public sealed class PatientKeysDeclaredTests(StandaloneServerFixture fixture) : IClassFixture<StandaloneServerFixture>
{
    [Fact]
    public async Task Move_entries_and_quota_release_refuse_a_view_whose_records_key_is_not_declared()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(fixture.Server.Endpoint);
        var db = redis.GetDatabase();
        var keys = new StoreKeys("dec" + Guid.NewGuid().ToString("N")[..8] + ":", cluster: false);
        var patient = ContractWorld.Patient(7);
        RedisKey records = keys.ActiveKey(patient);
        RedisKey day = keys.QuotaKey(patient, ContractWorld.Day);
        var stored = "q" + ContractWorld.Day.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture) + ":c:10:0";
        await db.HashSetAsync(records, stored, "100:20991231|n1|" + ScriptCalls.Far);

        // The day's view alone (the no-cap shape before the fix): refused, not read through an undeclared key.
        var refused = await Assert.ThrowsAsync<RedisServerException>(() => db.ScriptEvaluateAsync(StoreScripts.MoveEntries.Text, [day], ["find", "100:20991231"]));
        Assert.Contains("not declared", refused.Message, StringComparison.Ordinal);

        // Declared last: the day's entry is found under the view's name.
        var found = (RedisResult[])(await db.ScriptEvaluateAsync(StoreScripts.MoveEntries.Text, [day, records], ["find", "100:20991231"]))!;
        Assert.Equal(["1", "c:10:0", "100:20991231|n1|" + ScriptCalls.Far], found.Select(r => (string)r!));

        // A restore through the day's view, declared: the entry names the moved claim again.
        Assert.Equal(1, (long)await db.ScriptEvaluateAsync(StoreScripts.MoveEntries.Text, [day, records], ["restore", "100:20991231|n1|" + ScriptCalls.Far, "old"]));
        Assert.Equal("old", (string?)await db.HashGetAsync(records, stored));

        // quota_release with another patient's records declared: refused, the entry kept.
        RedisKey otherRecords = keys.ActiveKey(ContractWorld.Patient(8));
        var released = await Assert.ThrowsAsync<RedisServerException>(() => db.ScriptEvaluateAsync(StoreScripts.QuotaRelease.Text, [otherRecords, day], ["old", 2, "c:10:0"]));
        Assert.Contains("not declared", released.Message, StringComparison.Ordinal);
        Assert.Equal("old", (string?)await db.HashGetAsync(records, stored));
        Assert.Equal(1, (long)await db.ScriptEvaluateAsync(StoreScripts.QuotaRelease.Text, [records, day], ["old", 2, "c:10:0"]));
        Assert.False(await db.HashExistsAsync(records, stored));
    }

    [Fact]
    public async Task A_move_with_quotas_and_no_cap_declares_the_records_key_and_keeps_one_entry()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o =>
        {
            o.VersionCheckInterval = null;
            o.Engine.Quotas = QuotaPolicy.Mhrs; // no MaxActiveAppointments: no cap, the day's view alone names the entries
        });
        var node = await nodes.AddAsync();
        var calendar = new CalendarKey(ContractWorld.Doctor, ContractWorld.Day);
        await node.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        var patient = ContractWorld.Patient(3);
        var booked = await node.ClaimAsync(ClaimRequest.Book(calendar, SlotRange.Single(1), patient));
        Assert.True(booked.Succeeded, booked.ToString());

        var moved = await node.RescheduleAsync(booked.Reservation, ClaimRequest.Book(calendar, SlotRange.Single(5), patient));
        Assert.True(moved.Succeeded, moved.ToString());

        // The entry was re-pointed, not taken twice nor lost: the clinic's daily quota still counts one appointment.
        Assert.Equal(ClaimStatus.QuotaExceeded, (await node.ClaimAsync(ClaimRequest.Book(calendar, SlotRange.Single(7), patient))).Status);
    }
}
