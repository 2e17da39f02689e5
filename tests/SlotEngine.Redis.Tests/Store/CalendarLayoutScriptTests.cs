using System.Globalization;
using SlotEngine.Redis.Client;
using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;
using SlotEngine.Stores;
using StackExchange.Redis;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>
/// A calendar's claims and quota nonce records are fields of its meta hash (StoreKeys.Claims and Nonces name it; lib.lua):
/// a claim writes its slot and nonce there, no ':c' or ':n' key is made, a load skips the nonce records, and a lease burned
/// before its day opens makes a meta that is not a published day and stays burned once the day opens. Runs the embedded
/// scripts on a real server.
/// </summary>
public sealed class CalendarLayoutScriptTests(StandaloneServerFixture fixture) : IClassFixture<StandaloneServerFixture>
{
    private const long Far = ScriptCalls.Far;

    private static readonly string PatientHex = ScriptCalls.PatientHex(9);

    /// <summary>claim.lua: a 5-minute hold of one slot under quota nonce <paramref name="nonce"/> (its lease until <see cref="Far"/>).</summary>
    private static Task<RedisReply> HoldAsync(IDatabase db, CalendarKeySet keys, int first, string nonce) =>
        ScriptCalls.RunAsync(db, StoreScripts.Claim, keys, first, 1, PatientHex, 300_000, Far, 0, Far, nonce, Far, "d" + nonce, 60_000, ReadModel.MaxToken, "0", 0, 0);

    private static string Tag(StoreNodes nodes, CalendarKey calendar) =>
        nodes.Prefix + "{p:" + calendar.Provider.Value.ToString(CultureInfo.InvariantCulture) + ":" + calendar.Day.ToString("yyyyMMdd", CultureInfo.InvariantCulture) + "}";

    [Fact]
    public async Task A_claims_slot_and_nonce_are_fields_of_meta_and_a_load_skips_the_nonce()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => { o.Engine.Quotas = QuotaPolicy.None; o.VersionCheckInterval = null; });
        var node = await nodes.AddAsync();
        var calendar = new CalendarKey(ContractWorld.Doctor, ContractWorld.Day.AddDays(1));
        await node.PublishAsync(calendar.Provider, calendar.Day, ContractWorld.Standard);
        using var redis = await ConnectionMultiplexer.ConnectAsync(fixture.Server.Endpoint);
        var db = redis.GetDatabase();
        var keys = new StoreKeys(nodes.Prefix, cluster: false).For(calendar);

        var hold = await HoldAsync(db, keys, first: 3, nonce: "n1");
        Assert.Equal("ok", hold[0].AsString());
        var token = hold[2].AsInt64();
        var meta = Tag(nodes, calendar) + ":m";
        Assert.StartsWith(token.ToString(CultureInfo.InvariantCulture) + "|h|3|1|" + PatientHex + "|", (string?)await db.HashGetAsync(meta, "0:3"), StringComparison.Ordinal);
        Assert.Equal("0:3:" + token.ToString(CultureInfo.InvariantCulture), (string?)await db.HashGetAsync(meta, "n1"));
        Assert.Equal(0, await db.KeyExistsAsync([(RedisKey)(Tag(nodes, calendar) + ":c"), (RedisKey)(Tag(nodes, calendar) + ":n")]));
        Assert.Equal(1, (await ScriptCalls.RunAsync(db, StoreScripts.Live, keys, "n1"))[0].AsInt64()); // live: the nonce names the hold

        // A node that loads the day reads the hold and nothing of the nonce record.
        var late = await nodes.AddAsync();
        Assert.Equal(1, await late.WarmAsync([calendar]));
        var loaded = late.ReadModel.GetCalendar(calendar);
        Assert.Equal(SlotStatus.Held, loaded[3].Status);
        Assert.Equal(47, Enumerable.Range(0, loaded.SlotCount).Count(s => loaded[s].Status == SlotStatus.Free));
    }

    [Fact]
    public async Task A_lease_burned_before_its_day_opens_is_no_published_day_and_stays_burned_once_it_opens()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => { o.Engine.Quotas = QuotaPolicy.None; o.VersionCheckInterval = null; });
        var node = await nodes.AddAsync();
        var calendar = new CalendarKey(ContractWorld.Doctor, ContractWorld.Day.AddDays(2));
        using var redis = await ConnectionMultiplexer.ConnectAsync(fixture.Server.Endpoint);
        var db = redis.GetDatabase();
        var keys = new StoreKeys(nodes.Prefix, cluster: false).For(calendar);

        Assert.Equal(1, (await ScriptCalls.RunAsync(db, StoreScripts.Burn, keys, "n2", Far)).AsInt64());
        Assert.True(await db.KeyExistsAsync(Tag(nodes, calendar) + ":m")); // meta holding only the burned lease
        Assert.Equal(0, await node.WarmAsync([calendar])); // not a published day
        Assert.Equal("gone", (await HoldAsync(db, keys, first: 5, nonce: "n3"))[0].AsString());

        Assert.Equal(1, await node.PublishManyAsync([(calendar.Provider, calendar.Day, ContractWorld.Standard)]));
        Assert.Equal("lease", (await HoldAsync(db, keys, first: 5, nonce: "n2"))[0].AsString()); // still burned
        Assert.Equal("ok", (await HoldAsync(db, keys, first: 5, nonce: "n4"))[0].AsString());
        var late = await nodes.AddAsync();
        Assert.Equal(1, await late.WarmAsync([calendar]));
        Assert.Equal(SlotStatus.Held, late.ReadModel.GetCalendar(calendar)[5].Status);
    }
}
