using System.Globalization;
using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;
using static SlotEngine.Redis.Tests.Store.FeedSettling;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>
/// Block, reopen, the sweep of expired holds and a claim that reclaims expired holds on the way reach other nodes as
/// deltas (no reload), and the version check costs one checkpoint while the feed loses nothing.
/// </summary>
public sealed class FeedDeltaTests(StandaloneServerFixture fixture) : IClassFixture<StandaloneServerFixture>
{
    private static CalendarKey Calendar => new(ContractWorld.Doctor, ContractWorld.Day);

    [Fact]
    public async Task Block_reopen_sweep_and_reclaim_reach_the_other_node_as_deltas()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => { o.Engine.Quotas = QuotaPolicy.None; o.VersionCheckInterval = null; });
        var writer = await nodes.AddAsync();
        var reader = await nodes.AddAsync();
        await PublishSettledAsync(nodes, writer, reader, Calendar);
        var readerReloads = reader.Feed.Reloads;

        // A booking across the block's edge (slots 3-5, the block closes 4-7) and a hold inside it.
        Assert.True((await writer.ClaimAsync(ClaimRequest.Book(Calendar, new SlotRange(3, 3), ContractWorld.Patient(1)))).Succeeded);
        Assert.True((await writer.ClaimAsync(ClaimRequest.Hold(Calendar, SlotRange.Single(7), ContractWorld.Patient(2), TimeSpan.FromMinutes(5)))).Succeeded);
        await ConvergedAsync(nodes, writer, reader, "the claims");

        var blocked = await writer.BlockAsync(Calendar, new SlotRange(4, 4));
        Assert.Equal(2, blocked.Displaced.Count);
        var own = await writer.GetCalendarAsync(Calendar); // read your own writes
        Assert.Equal(SlotStatus.Closed, own[4].Status);
        Assert.Equal(SlotStatus.Free, own[3].Status);
        await ConvergedAsync(nodes, writer, reader, "the block");

        Assert.Equal(4, await writer.ReopenAsync(Calendar, new SlotRange(4, 4)));
        Assert.Equal(SlotStatus.Free, (await writer.GetCalendarAsync(Calendar))[5].Status);
        await ConvergedAsync(nodes, writer, reader, "the reopen");

        // Holds that expire (by Redis's clock), freed by the sweep: one release each in the feed.
        Assert.True((await writer.ClaimAsync(ClaimRequest.Hold(Calendar, SlotRange.Single(10), ContractWorld.Patient(3), TimeSpan.FromMilliseconds(1)))).Succeeded);
        Assert.True((await writer.ClaimAsync(ClaimRequest.Hold(Calendar, new SlotRange(12, 2), ContractWorld.Patient(4), TimeSpan.FromMilliseconds(1)))).Succeeded);
        var swept = 0;
        await Eventually.TrueAsync(async () => (swept += (await writer.SweepExpiredHoldsAsync()).Count) == 2, "the sweep to free both expired holds");
        await ConvergedAsync(nodes, writer, reader, "the sweep");
        Assert.Equal(SlotStatus.Free, reader.ReadModel.GetCalendar(Calendar)[12].Status);

        // A claim that meets an expired hold takes it: the reclaim is a release in the feed, then the claim.
        Assert.True((await writer.ClaimAsync(ClaimRequest.Hold(Calendar, SlotRange.Single(20), ContractWorld.Patient(5), TimeSpan.FromMilliseconds(1)))).Succeeded);
        await ConvergedAsync(nodes, writer, reader, "the short hold");
        await Eventually.TrueAsync(
            async () => (await writer.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(20), ContractWorld.Patient(6)))).Succeeded,
            "a booking to reclaim the expired hold");
        Assert.Equal(SlotStatus.Booked, (await writer.GetCalendarAsync(Calendar))[20].Status);
        await ConvergedAsync(nodes, writer, reader, "the reclaiming claim");

        // The other node laid every change in as a delta. (The writer too, unless an echo of its own took longer than the
        // feed's grace for own writes, 50 ms, on a busy machine: then it reloads, by design.)
        Assert.Equal(readerReloads, reader.Feed.Reloads);
        Assert.True(reader.Feed.Deltas >= 2 + 3 + 1 + 3 + 3);
    }

    [Fact]
    public async Task The_version_check_is_one_checkpoint_while_nothing_is_lost_and_a_full_check_when_something_is()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => { o.Engine.Quotas = QuotaPolicy.None; o.VersionCheckInterval = null; });
        var writer = await nodes.AddAsync();
        var reader = await nodes.AddAsync();
        await PublishSettledAsync(nodes, writer, reader, Calendar);

        // Without a version check interval no node asks for a checkpoint when it subscribes: the first one read sets the
        // offset, later ones match: no full check.
        for (var round = 1; round <= 3; round++)
        {
            Assert.True((await writer.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(round), ContractWorld.Patient(round)))).Succeeded);
            await CheckpointReadAsync(writer, reader, "checkpoint " + round);
        }

        Assert.Equal(0, writer.FullVersionChecks);
        Assert.Equal(0, reader.FullVersionChecks);

        // A change whose message is lost (counted by its script, never heard): the next checkpoint shows it, and the full
        // check reloads the calendar on both nodes.
        var meta = MetaKey(nodes);
        var changed = long.Parse((await fixture.Server.CliAsync("HINCRBY", meta, "ver", "1")).Trim(), CultureInfo.InvariantCulture);
        await fixture.Server.CliAsync("INCRBY", nodes.Prefix + "feed:changes", "1");
        await CheckpointReadAsync(reader, writer, "the checkpoint after the loss");
        await Eventually.TrueAsync(() => reader.Feed.LoadedVersion(Calendar) == changed && writer.Feed.LoadedVersion(Calendar) == changed, "the full check to reload the calendar on both nodes");
        Assert.Equal(1, reader.FullVersionChecks);
        Assert.Equal(1, writer.FullVersionChecks);

        // Back in step: the next checkpoint costs nothing more.
        await CheckpointReadAsync(writer, reader, "the next checkpoint");
        Assert.Equal(1, reader.FullVersionChecks);
        Assert.Equal(1, writer.FullVersionChecks);
    }

    [Fact]
    public void Close_and_reopen_deltas_parse_and_format_back()
    {
        Assert.True(FeedMessage.TryParse("100:20301231|7|t9|x4,3", out var close));
        Assert.Equal(new FeedDelta(FeedOp.Close, 0, 4, 3, 0, default, 0), close.Delta);
        Assert.Equal("100:20301231|7|t9|x4,3", close.Format());
        Assert.True(FeedMessage.TryParse("100:20301231|8|t9|o4,3", out var reopen));
        Assert.Equal(new FeedDelta(FeedOp.Reopen, 0, 4, 3, 0, default, 0), reopen.Delta);
        Assert.Equal("100:20301231|8|t9|o4,3", reopen.Format());

        // Cut or padded ranges are not deltas (the message then reads as a new generation: reload).
        Assert.True(FeedMessage.TryParse("100:20301231|8|t9|o4", out var cut));
        Assert.Equal(FeedOp.None, cut.Delta.Op);
        Assert.True(FeedMessage.TryParse("100:20301231|8|t9|x4,3,1", out var padded));
        Assert.Equal(FeedOp.None, padded.Delta.Op);
    }

    /// <summary>
    /// Waits until writer and reader both hold the calendar's version in Redis (meta's <c>ver</c>, final once the change's
    /// call has returned) and show the same statuses. Comparing the two read models alone passed when neither had laid in
    /// the change yet: a sweep's releases are laid in from their echoes when the writer lacks the version before the last
    /// one, so both could still show a swept hold as held.
    /// </summary>
    private async Task ConvergedAsync(StoreNodes nodes, RedisSlotEngine writer, RedisSlotEngine reader, string after)
    {
        var meta = MetaKey(nodes);
        var current = long.Parse((await fixture.Server.CliAsync("HGET", meta, "ver")).Trim(), CultureInfo.InvariantCulture);
        await Eventually.TrueAsync(
            () => writer.Feed.LoadedVersion(Calendar) == current
                && reader.Feed.LoadedVersion(Calendar) == current
                && Statuses(reader.ReadModel.GetCalendar(Calendar)) == Statuses(writer.ReadModel.GetCalendar(Calendar)),
            "writer and reader to hold version " + current + " of the calendar after " + after);
    }

    private static string MetaKey(StoreNodes nodes) =>
        nodes.Prefix + "{p:" + ContractWorld.Doctor.Value.ToString(CultureInfo.InvariantCulture) + ":" + ContractWorld.Day.ToString("yyyyMMdd", CultureInfo.InvariantCulture) + "}:m";
}
