using System.Globalization;
using SlotEngine.Redis.Client;
using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;
using SlotEngine.Stores;
using StackExchange.Redis;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>
/// The replies of claim.lua, confirm.lua and release.lua in every shape the scripts return, produced by running the
/// embedded scripts (with lib.lua, as the store sends them) on a real server and read by their typed readers.
/// </summary>
public sealed class ScriptReplyTests(StandaloneServerFixture fixture) : IClassFixture<StandaloneServerFixture>
{
    private const long Far = ScriptCalls.Far; // a window close / slot start far ahead

    private static CalendarKey Calendar => new(ContractWorld.Doctor, ContractWorld.Day);

    private static readonly string PatientHex = ContractWorld.Patient(7).Value.ToString("x16", CultureInfo.InvariantCulture);

    private static async Task<RedisReply> RunAsync(IDatabase db, RedisScript script, CalendarKeySet keys, RedisKey[] scriptKeys, params RedisValue[] rest)
    {
        RedisValue[] args = [keys.Feed, "0", keys.Reference, .. rest];

        // Undecoded, as the store reads a booking's replies: the in-place reader and the tree agree on every shape.
        using var raw = await db.ScriptEvaluateRespAsync(script.Text, scriptKeys, args);
        var tree = RawReply.ToReply(raw);
        if (script == StoreScripts.Claim)
        {
            Assert.Equal(ClaimScriptReply.Parse(tree), ClaimScriptReply.Parse(raw, out _));
        }
        else
        {
            var direct = ChangeScriptReply.Parse(raw, out var whole);
            Assert.Equal(ChangeScriptReply.Parse(tree), direct);
            Assert.Equal(tree.ToString(), whole.IsNull ? tree.ToString() : whole.ToString());
        }

        return tree;
    }

    [Fact]
    public async Task An_undecoded_reply_reads_as_the_client_reads_it()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(fixture.Server.Endpoint);
        var db = redis.GetDatabase();
        string[] scripts =
        [
            "return {'ok', 1, {2, 'b', {}}, 'x', {{3}}}",
            "return 'word'",
            "return 42",
            "return {}",
            "return false",
            "return redis.status_reply('FINE')",
            "return {'ok', 2, 41, 0, 7, 0, 3}",
        ];
        foreach (var script in scripts)
        {
            var decoded = new RedisReply(await db.ScriptEvaluateAsync(script));
            using var raw = await db.ScriptEvaluateRespAsync(script, ReadOnlyMemory<RedisKey>.Empty, ReadOnlyMemory<RedisValue>.Empty);
            var read = RawReply.ToReply(raw);
            Assert.Equal(decoded.ToString(), read.ToString());
            Assert.Equal(decoded.IsNull, read.IsNull);
            Assert.Equal(decoded.Count, read.Count);
            for (var i = 0; i < decoded.Count; i++)
            {
                Assert.Equal(decoded[i].Count, read[i].Count);
                Assert.Equal(decoded[i].ToString(), read[i].ToString());
                if (decoded[i].Count == 0)
                {
                    Assert.Equal(decoded[i].AsString(), read[i].AsString());
                }
            }
        }

        // The flat reader reads {word, integers…} and refuses any other shape (the caller then reads the tree).
        using (var raw = await db.ScriptEvaluateRespAsync("return {'ok', 2, 41, 0, 7, 0, 3}", ReadOnlyMemory<RedisKey>.Empty, ReadOnlyMemory<RedisValue>.Empty))
        {
            Assert.Equal(new ClaimScriptReply(ClaimScriptStatus.Ok, 2, 41, 0, 7, false, null, 3), ClaimScriptReply.Parse(raw, out var tree));
            Assert.True(tree.IsNull); // not needed, not made
        }

        using (var raw = await db.ScriptEvaluateRespAsync("return {'full', 'a', 'b'}", ReadOnlyMemory<RedisKey>.Empty, ReadOnlyMemory<RedisValue>.Empty))
        {
            Assert.Equal(ClaimScriptStatus.Full, ClaimScriptReply.Parse(raw, out var tree).Status);
            Assert.Equal(3, tree.Count); // made: its entries are read
            Assert.Equal("b", tree[2].AsString());
        }

        using (var raw = await db.ScriptEvaluateRespAsync("return {'unapproved', 5, 6}", ReadOnlyMemory<RedisKey>.Empty, ReadOnlyMemory<RedisValue>.Empty))
        {
            Assert.Equal(new ChangeScriptReply(ChangeScriptStatus.Unapproved, 6, 0, 5), ChangeScriptReply.Parse(raw, out var tree));
            Assert.True(tree.IsNull); // read in place
        }
    }

    /// <summary>Runs claim.lua for one slot: hold for <paramref name="holdMs"/> (0: book), optionally keyed by <paramref name="idem"/>.</summary>
    private static Task<RedisReply> ClaimAsync(
        IDatabase db, CalendarKeySet keys, int first, long holdMs = 0, string? idem = null, string digest = "d1",
        long startMs = Far, long openMs = 0, long closeMs = Far, string nonce = "", long leaseDeadlineMs = 0) =>
        RunAsync(
            db,
            StoreScripts.Claim,
            keys,
            idem is null ? keys.ScriptKeys : [.. keys.ScriptKeys, keys.IdempotencyPrefix + idem],
            first, 1, PatientHex, holdMs, startMs, openMs, closeMs, nonce, leaseDeadlineMs, digest, 60_000, ReadModel.MaxToken, "0", 0, 0);

    private static Task<RedisReply> ConfirmAsync(IDatabase db, CalendarKeySet keys, int seat, int first, long token) =>
        RunAsync(db, StoreScripts.Confirm, keys, keys.ScriptKeys, seat, first, token, PatientHex);

    private static Task<RedisReply> ReleaseAsync(IDatabase db, CalendarKeySet keys, int seat, int first, long token, string cutoffMs = "") =>
        RunAsync(db, StoreScripts.Release, keys, keys.ScriptKeys, seat, first, token, cutoffMs, PatientHex, 3, 1);

    private static async Task<(RedisSlotEngine Node, CalendarKeySet Keys)> PublishAsync(StoreNodes nodes)
    {
        var node = await nodes.AddAsync();
        await node.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        return (node, new StoreKeys(nodes.Prefix, cluster: false).For(Calendar));
    }

    private StoreNodes Nodes() => new(fixture.Server.Endpoint, o => o.Engine.Quotas = QuotaPolicy.None);

    private static async Task<long> RedisNowMsAsync(IDatabase db)
    {
        var time = (RedisResult[])(await db.ExecuteAsync("TIME"))!;
        return (long.Parse((string)time[0]!, CultureInfo.InvariantCulture) * 1_000_000 + long.Parse((string)time[1]!, CultureInfo.InvariantCulture)) / 1000;
    }

    private static async Task<long> VersionAsync(IDatabase db, CalendarKeySet keys) => (long)await db.HashGetAsync(keys.Meta, "ver");

    [Fact]
    public async Task Every_reply_of_the_claim_script_parses_to_its_fields()
    {
        await using var nodes = Nodes();
        await using var redis = await ConnectionMultiplexer.ConnectAsync(fixture.Server.Endpoint);
        var (node, keys) = await PublishAsync(nodes);
        var db = redis.GetDatabase();

        // ok: a booking, then a hold (its expiry by Redis's clock), each with the version it made.
        var booked = ClaimScriptReply.Parse(await ClaimAsync(db, keys, first: 3));
        Assert.Equal(new ClaimScriptReply(ClaimScriptStatus.Ok, 0, booked.Token, 0, await VersionAsync(db, keys), false, null), booked);
        Assert.True(booked.Claimed);
        var held = ClaimScriptReply.Parse(await ClaimAsync(db, keys, first: 4, holdMs: 300_000));
        Assert.Equal(ClaimScriptStatus.Ok, held.Status);
        Assert.Equal(booked.Token + 1, held.Token);
        Assert.Equal(booked.Version + 1, held.Version);
        Assert.Equal(StoredClaim.Parse((string)(await db.HashGetAsync(keys.Claims, "0:4"))!).HoldExpiryMs, held.HoldExpiryMs);
        Assert.True(held.HoldExpiryMs > 0);

        // taken: the template has one seat.
        Assert.Equal(new ClaimScriptReply(ClaimScriptStatus.Taken, 0, 0, 0, 0, false, null), ClaimScriptReply.Parse(await ClaimAsync(db, keys, first: 3)));

        // ok with reclaimed: a 1 ms hold, claimed again once Redis's clock has passed its expiry.
        var brief = ClaimScriptReply.Parse(await ClaimAsync(db, keys, first: 5, holdMs: 1));
        Assert.Equal(ClaimScriptStatus.Ok, brief.Status);
        ClaimScriptReply again = default;
        await Eventually.TrueAsync(
            async () => (again = ClaimScriptReply.Parse(await ClaimAsync(db, keys, first: 5))).Status == ClaimScriptStatus.Ok,
            "the 1 ms hold expires and is reclaimed");
        Assert.True(again.Reclaimed);
        Assert.Equal(brief.Token + 1, again.Token);
        Assert.Equal(await VersionAsync(db, keys), again.Version);

        // again and reused: a keyed request run twice, then its key with another request's digest.
        var keyed = ClaimScriptReply.Parse(await ClaimAsync(db, keys, first: 6, holdMs: 300_000, idem: "key"));
        Assert.Equal(ClaimScriptStatus.Ok, keyed.Status);
        var replay = ClaimScriptReply.Parse(await ClaimAsync(db, keys, first: 6, holdMs: 300_000, idem: "key"));
        Assert.Equal(new ClaimScriptReply(ClaimScriptStatus.Again, keyed.Seat, keyed.Token, keyed.HoldExpiryMs, 0, false, null), replay);
        Assert.True(replay.Claimed);
        Assert.Equal(new ClaimScriptReply(ClaimScriptStatus.Reused, 0, 0, 0, 0, false, "d1"), ClaimScriptReply.Parse(await ClaimAsync(db, keys, first: 6, idem: "key", digest: "d2")));

        // The refusals that carry only their word.
        Assert.Equal(ClaimScriptStatus.Window, ClaimScriptReply.Parse(await ClaimAsync(db, keys, first: 7, openMs: 0, closeMs: 1)).Status);
        Assert.Equal(ClaimScriptStatus.Past, ClaimScriptReply.Parse(await ClaimAsync(db, keys, first: 7, startMs: 1)).Status);
        Assert.Equal(ClaimScriptStatus.Lease, ClaimScriptReply.Parse(await ClaimAsync(db, keys, first: 7, nonce: "n", leaseDeadlineMs: 1)).Status);
        await node.BlockAsync(Calendar, SlotRange.Single(8));
        Assert.Equal(new ClaimScriptReply(ClaimScriptStatus.Closed, 0, 0, 0, 0, false, null), ClaimScriptReply.Parse(await ClaimAsync(db, keys, first: 8)));
        await db.HashSetAsync(keys.Meta, "tok", ReadModel.MaxToken);
        var tokens = ClaimScriptReply.Parse(await ClaimAsync(db, keys, first: 9));
        Assert.Equal(ClaimScriptStatus.Tokens, tokens.Status);
        Assert.False(tokens.Claimed);
        var other = new StoreKeys(nodes.Prefix, cluster: false).For(new CalendarKey(ContractWorld.Doctor, ContractWorld.Day.AddDays(1)));
        Assert.Equal(ClaimScriptStatus.Gone, ClaimScriptReply.Parse(await ClaimAsync(db, other, first: 9)).Status);

        // A word of a newer script, or an empty reply, reads as unknown (the store then throws with the raw reply).
        Assert.Equal(ClaimScriptStatus.Unknown, ClaimScriptReply.Parse(new RedisReply(await db.ScriptEvaluateAsync("return { 'moved', 1 }"))).Status);
        Assert.Equal(ClaimScriptStatus.Unknown, ClaimScriptReply.Parse(new RedisReply(await db.ScriptEvaluateAsync("return {}"))).Status);
    }

    [Fact]
    public async Task Every_reply_of_the_confirm_script_parses_to_its_fields()
    {
        await using var nodes = Nodes();
        await using var redis = await ConnectionMultiplexer.ConnectAsync(fixture.Server.Endpoint);
        var (_, keys) = await PublishAsync(nodes);
        var db = redis.GetDatabase();
        var hold = ClaimScriptReply.Parse(await ClaimAsync(db, keys, first: 3, holdMs: 300_000));

        var stale = ChangeScriptReply.Parse(await ConfirmAsync(db, keys, hold.Seat, 3, hold.Token + 1));
        Assert.Equal(ChangeScriptStatus.Stale, stale.Status);
        Assert.Equal(0, stale.Version);
        Assert.InRange(stale.NowMs, hold.HoldExpiryMs - 300_000, hold.HoldExpiryMs);

        var confirmed = ChangeScriptReply.Parse(await ConfirmAsync(db, keys, hold.Seat, 3, hold.Token));
        Assert.Equal(new ChangeScriptReply(ChangeScriptStatus.Ok, await VersionAsync(db, keys), 0), confirmed);
        Assert.True(confirmed.Version > 0);
        Assert.Equal(new ChangeScriptReply(ChangeScriptStatus.Ok, 0, 0), ChangeScriptReply.Parse(await ConfirmAsync(db, keys, hold.Seat, 3, hold.Token)));

        var brief = ClaimScriptReply.Parse(await ClaimAsync(db, keys, first: 4, holdMs: 1));
        // Confirm only once Redis's clock has passed the expiry: a confirm in the same millisecond would book the hold.
        await Eventually.TrueAsync(async () => await RedisNowMsAsync(db) > brief.HoldExpiryMs, "Redis's clock passes the 1 ms hold's expiry");
        var expired = ChangeScriptReply.Parse(await ConfirmAsync(db, keys, brief.Seat, 4, brief.Token));
        Assert.Equal(ChangeScriptStatus.Expired, expired.Status);
        Assert.Equal(0, expired.Version);
        Assert.True(expired.NowMs >= brief.HoldExpiryMs);

        var other = new StoreKeys(nodes.Prefix, cluster: false).For(new CalendarKey(ContractWorld.Doctor, ContractWorld.Day.AddDays(1)));
        var gone = ChangeScriptReply.Parse(await ConfirmAsync(db, other, 0, 3, hold.Token));
        Assert.Equal(ChangeScriptStatus.Stale, gone.Status);
        Assert.True(gone.NowMs >= stale.NowMs);
    }

    [Fact]
    public async Task Every_reply_of_the_release_script_parses_to_its_fields()
    {
        await using var nodes = Nodes();
        await using var redis = await ConnectionMultiplexer.ConnectAsync(fixture.Server.Endpoint);
        var (_, keys) = await PublishAsync(nodes);
        var db = redis.GetDatabase();
        var booking = ClaimScriptReply.Parse(await ClaimAsync(db, keys, first: 3));

        Assert.Equal(new ChangeScriptReply(ChangeScriptStatus.Late, 0, 0), ChangeScriptReply.Parse(await ReleaseAsync(db, keys, booking.Seat, 3, booking.Token, cutoffMs: "1")));
        Assert.Equal(new ChangeScriptReply(ChangeScriptStatus.Stale, 0, 0), ChangeScriptReply.Parse(await ReleaseAsync(db, keys, booking.Seat, 3, booking.Token + 1)));

        var released = ChangeScriptReply.Parse(await ReleaseAsync(db, keys, booking.Seat, 3, booking.Token, cutoffMs: Far.ToString(CultureInfo.InvariantCulture)));
        Assert.Equal(new ChangeScriptReply(ChangeScriptStatus.Ok, await VersionAsync(db, keys), 0), released);
        Assert.True(released.Version > 0);
        Assert.Equal(ChangeScriptStatus.Stale, ChangeScriptReply.Parse(await ReleaseAsync(db, keys, booking.Seat, 3, booking.Token)).Status);
        Assert.Equal(ChangeScriptStatus.Unknown, ChangeScriptReply.Parse(new RedisReply(await db.ScriptEvaluateAsync("return { 'moved' }"))).Status);
    }

    [Fact]
    public async Task Every_reply_of_the_block_and_reopen_scripts_parses_to_its_fields()
    {
        await using var nodes = Nodes();
        await using var redis = await ConnectionMultiplexer.ConnectAsync(fixture.Server.Endpoint);
        var (node, keys) = await PublishAsync(nodes);
        var db = redis.GetDatabase();
        var booking = (await node.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(3), ContractWorld.Patient(1)))).Reservation;
        var hold = (await node.ClaimAsync(ClaimRequest.Hold(Calendar, SlotRange.Single(4), ContractWorld.Patient(2), TimeSpan.FromMinutes(5)))).Reservation;

        // Slots 3 to 5 on the one seat: a booking, a hold and a free slot closed; the two claims displaced in slot order.
        var blocked = BlockScriptReply.Parse(Calendar, await RunAsync(db, StoreScripts.Block, keys, keys.ScriptKeys, 3, 3, "0"));
        Assert.False(blocked.Gone);
        Assert.Equal(3, blocked.Closed);
        Assert.Equal(await VersionAsync(db, keys), blocked.Version);
        Assert.Equal([new DisplacedClaim(booking, true), new DisplacedClaim(hold, false)], blocked.Displaced);

        var opened = ReopenScriptReply.Parse(await RunAsync(db, StoreScripts.Reopen, keys, keys.ScriptKeys, 3, 3, "111"));
        Assert.Equal(new ReopenScriptReply(false, 3, blocked.Version + 1), opened);
        Assert.Equal(new ReopenScriptReply(false, 0, opened.Version), ReopenScriptReply.Parse(await RunAsync(db, StoreScripts.Reopen, keys, keys.ScriptKeys, 3, 3, "111")));

        // A withdrawal (block with '1') answers the version of its gone message; then both scripts answer gone.
        var withdrawn = BlockScriptReply.Parse(Calendar, await RunAsync(db, StoreScripts.Block, keys, keys.ScriptKeys, 0, 1, "1"));
        Assert.Equal((false, 1, opened.Version + 1, 0), (withdrawn.Gone, withdrawn.Closed, withdrawn.Version, withdrawn.Displaced.Length));
        var gone = BlockScriptReply.Parse(Calendar, await RunAsync(db, StoreScripts.Block, keys, keys.ScriptKeys, 0, 1, "0"));
        Assert.Equal((true, 0, 0L, 0), (gone.Gone, gone.Closed, gone.Version, gone.Displaced.Length));
        Assert.Equal(new ReopenScriptReply(true, 0, 0), ReopenScriptReply.Parse(await RunAsync(db, StoreScripts.Reopen, keys, keys.ScriptKeys, 0, 1, "1")));
    }
}
