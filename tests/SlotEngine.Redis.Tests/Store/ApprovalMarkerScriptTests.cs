using System.Globalization;
using SlotEngine.Redis.Client;
using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;
using SlotEngine.Stores;
using StackExchange.Redis;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>
/// Whether a claim awaits approval, as confirm.lua and claim.lua judge it (awaits_approval and lapse in lib.lua): from the
/// stored claim's '|u' flag with no command, and from the older 'u&lt;token&gt;' marker only for an unflagged hold expiring
/// exactly at the day's approval deadline (or when the script is not told the deadline), so that a claim an older build
/// stored (marker, no flag) is still told apart. Runs the embedded scripts on a real server.
/// </summary>
public sealed class ApprovalMarkerScriptTests(StandaloneServerFixture fixture) : IClassFixture<StandaloneServerFixture>
{
    private const long Far = ScriptCalls.Far;
    private const long Deadline = Far - 86_400_000; // the day's approval deadline the tests pass: far ahead, unlike a hold's expiry

    private static CalendarKey Calendar => new(ContractWorld.Doctor, ContractWorld.Day);

    private static readonly string PatientHex = ScriptCalls.PatientHex(7);

    /// <summary>claim.lua: a 5-minute hold of one slot (no approval arguments: the script is not told the deadline).</summary>
    private static async Task<ClaimScriptReply> HoldAsync(IDatabase db, CalendarKeySet keys, int first) =>
        ClaimScriptReply.Parse(await ScriptCalls.RunAsync(
            db, StoreScripts.Claim, keys, first, 1, PatientHex, 300_000, Far, 0, Far, "", 0, "d1", 60_000, ReadModel.MaxToken, "0", 0, 0));

    /// <summary>confirm.lua, a plain confirm with <paramref name="deadline"/> as the day's approval deadline ("0": none passed).</summary>
    private static Task<RedisReply> ConfirmAsync(IDatabase db, CalendarKeySet keys, ClaimScriptReply hold, int first, string deadline) =>
        ScriptCalls.RunAsync(db, StoreScripts.Confirm, keys, hold.Seat, first, hold.Token, PatientHex, "0", deadline, "0");

    private static async Task<long> CallsAsync(IDatabase db, string command)
    {
        var info = (string)(await db.ExecuteAsync("INFO", "commandstats"))!;
        var key = "cmdstat_" + command + ":calls=";
        var at = info.IndexOf(key, StringComparison.Ordinal);
        if (at < 0)
        {
            return 0;
        }

        var from = at + key.Length;
        return long.Parse(info.AsSpan(from, info.IndexOf(',', from) - from), CultureInfo.InvariantCulture);
    }

    private async Task<(StoreNodes Nodes, IConnectionMultiplexer Redis, CalendarKeySet Keys)> StartAsync()
    {
        var nodes = new StoreNodes(fixture.Server.Endpoint, o => o.Engine.Quotas = QuotaPolicy.None);
        var node = await nodes.AddAsync();
        await node.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        var options = ConfigurationOptions.Parse(fixture.Server.Endpoint);
        options.AllowAdmin = true; // INFO commandstats
        var redis = await ConnectionMultiplexer.ConnectAsync(options);
        return (nodes, redis, new StoreKeys(nodes.Prefix, cluster: false).For(Calendar));
    }

    [Fact]
    public async Task A_claim_stored_by_an_older_build_with_only_the_marker_still_awaits_approval()
    {
        var (nodes, redis, keys) = await StartAsync();
        await using var _ = nodes;
        using var __ = redis;
        var db = redis.GetDatabase();
        var hold = await HoldAsync(db, keys, first: 3);
        // As an older build stored an unapproved booking: a hold expiring at the deadline, no flag, the marker.
        await db.HashSetAsync(keys.Claims, $"{hold.Seat}:3", $"{hold.Token}|h|3|1|{PatientHex}|{Deadline}");
        await db.HashSetAsync(keys.Nonces, $"u{hold.Token}", "1");

        var reply = await ConfirmAsync(db, keys, hold, 3, Deadline.ToString(CultureInfo.InvariantCulture));

        Assert.Equal("unapproved", reply[0].AsString());
        Assert.Equal(Deadline, reply[1].AsInt64());
        Assert.Equal(0, reply[2].AsInt64());
    }

    [Fact]
    public async Task The_flag_alone_answers_without_asking_the_marker_and_a_plain_hold_is_not_asked_either()
    {
        var (nodes, redis, keys) = await StartAsync();
        await using var _ = nodes;
        using var __ = redis;
        var db = redis.GetDatabase();
        var flagged = await HoldAsync(db, keys, first: 4);
        await db.HashSetAsync(keys.Claims, $"{flagged.Seat}:4", $"{flagged.Token}|h|4|1|{PatientHex}|{Deadline}|u"); // no marker
        var plain = await HoldAsync(db, keys, first: 5);
        var unknown = await HoldAsync(db, keys, first: 6);
        var before = await CallsAsync(db, "hexists");

        var awaiting = await ConfirmAsync(db, keys, flagged, 4, "0");
        var booked = ChangeScriptReply.Parse(await ConfirmAsync(db, keys, plain, 5, Deadline.ToString(CultureInfo.InvariantCulture)));
        var afterKnown = await CallsAsync(db, "hexists");
        // Not told the deadline ('0'): an unflagged hold might be an older build's unapproved booking, so the marker is asked.
        var bookedUnknown = ChangeScriptReply.Parse(await ConfirmAsync(db, keys, unknown, 6, "0"));
        var afterUnknown = await CallsAsync(db, "hexists");

        Assert.Equal("unapproved", awaiting[0].AsString());
        Assert.Equal(ChangeScriptStatus.Ok, booked.Status);
        Assert.Equal(ChangeScriptStatus.Ok, bookedUnknown.Status);
        Assert.Equal(before, afterKnown); // neither the flagged claim nor the plain hold asked the marker
        Assert.Equal(afterKnown + 1, afterUnknown);
    }

    [Fact]
    public async Task A_claim_reclaiming_an_older_builds_lapsed_booking_counts_the_lapse_and_drops_the_marker()
    {
        var (nodes, redis, keys) = await StartAsync();
        await using var _ = nodes;
        using var __ = redis;
        var db = redis.GetDatabase();
        var hold = await HoldAsync(db, keys, first: 7);
        await db.HashSetAsync(keys.Claims, $"{hold.Seat}:7", $"{hold.Token}|h|7|1|{PatientHex}|1000"); // expired long ago, no flag
        await db.HashSetAsync(keys.Nonces, $"u{hold.Token}", "1");

        var again = await HoldAsync(db, keys, first: 7);

        Assert.Equal(ClaimScriptStatus.Ok, again.Status);
        Assert.True(again.Reclaimed);
        Assert.Equal(1, again.Lapsed);
        Assert.False(await db.HashExistsAsync(keys.Nonces, $"u{hold.Token}"));
    }
}
