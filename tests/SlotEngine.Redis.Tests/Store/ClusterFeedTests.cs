using System.Globalization;
using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;
using StackExchange.Redis;
using static SlotEngine.Redis.Tests.Store.FeedSettling;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>
/// The cluster's feed and publish path (issue 10): days opened in batches per primary, one feed channel per hash slot,
/// other nodes laying a newly opened day in from its reset message (no reload), and the per-slot checkpoint that keeps the
/// full version check for a detected loss.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterFeedTests(ClusterFixture fixture)
{
    private static readonly DateOnly[] Days = Enumerable.Range(1, 15).Select(d => ContractWorld.Today.AddDays(d)).ToArray();

    [Fact]
    public void Slot_channels_hash_to_their_slots_as_the_client_computes_them()
    {
        using var multiplexer = ConnectionMultiplexer.Connect(fixture.Cluster.ConnectionString);
        foreach (var key in new[] { "plain", "se:{p:42:20261123}:m", "x{}y", "{a}{b}", "pre{p:7:20300101}:feed", "ğ{ş:1}" })
        {
            Assert.Equal(multiplexer.HashSlot(key), SlotChannels.SlotOf(key));
        }

        for (var slot = 0; slot < SlotChannels.Slots; slot += 997)
        {
            var channel = "se:{" + SlotChannels.TagOf(slot) + "}:feed";
            Assert.Equal(slot, SlotChannels.SlotOf(channel));
            Assert.Equal(slot, multiplexer.HashSlot(channel));
        }
    }

    [Fact]
    public async Task Days_open_in_batches_per_primary_and_another_node_lays_them_in_without_a_reload()
    {
        await using var nodes = new StoreNodes(fixture.Cluster.ConnectionString, o => o.VersionCheckInterval = null);
        var providers = Enumerable.Range(400, 40).Select(p => new ProviderId(p)).ToArray();
        var writer = await AddNodeAsync(nodes, providers);
        var reader = await AddNodeAsync(nodes, providers);
        var calendars = providers.SelectMany(p => Days.Select(d => new CalendarKey(p, d))).ToArray(); // 600 days

        // The reader follows these days before they open (in a cluster a node follows the slots of what it watches).
        foreach (var provider in providers)
        {
            Assert.Equal(0, await reader.WatchAsync(provider, Days[0], Days[^1]));
        }

        var scriptsBefore = await ScriptCallsAsync();
        var reloadsBefore = reader.Feed.Reloads;
        Assert.Equal(calendars.Length, await writer.PublishManyAsync(calendars.Select(c => (c.Provider, c.Day, ContractWorld.Standard))));
        var scripts = await ScriptCallsAsync() - scriptsBefore;

        // 600 days over three primaries: a few calls per primary (128 days each), not one per day.
        Assert.InRange(scripts, 3, (calendars.Length / 128) + 3);
        var shards = calendars.Select(c => writer.Multiplexer.GetServer((RedisKey)Meta(nodes, c)).EndPoint.ToString()).Distinct().Count();
        Assert.Equal(3, shards);

        // Every day reaches the reader through its reset, laid in from the template it carries: no reload at all.
        await Eventually.TrueAsync(() => calendars.All(c => reader.Feed.LoadedVersion(c) == 1), "the reader to lay in every day opened");
        Assert.Equal(reloadsBefore, reader.Feed.Reloads);
        Assert.Equal(calendars.Length, reader.Feed.PublishedLaidIn);
        var laidIn = reader.ReadModel.GetCalendar(calendars[^1]);
        Assert.Equal(48, laidIn.SlotCount);
        Assert.All(Enumerable.Range(0, laidIn.SlotCount), s => Assert.Equal(SlotStatus.Free, laidIn[s].Status));

        // Later changes are deltas on top of the laid-in day: still no reload.
        var hold = await writer.ClaimAsync(ClaimRequest.Hold(calendars[7], SlotRange.Single(3), ContractWorld.Patient(1), TimeSpan.FromMinutes(5)));
        Assert.True(hold.Succeeded, hold.ToString());
        Assert.True((await writer.ConfirmAsync(hold.Reservation)).Succeeded);
        await Eventually.TrueAsync(() => reader.ReadModel.GetCalendar(calendars[7])[3].Status == SlotStatus.Booked, "the booking to reach the reader");
        Assert.Equal(reloadsBefore, reader.Feed.Reloads);

        // Published again with the same template: nothing opens, nothing is reloaded.
        Assert.Equal(calendars.Length, await writer.PublishManyAsync(calendars.Select(c => (c.Provider, c.Day, ContractWorld.Standard))));
        Assert.Equal(calendars.Length, reader.Feed.PublishedLaidIn);
        Assert.Equal(SlotStatus.Booked, (await writer.GetCalendarAsync(calendars[7]))[3].Status);
    }

    [Fact]
    public async Task The_cluster_version_check_is_a_checkpoint_per_slot_and_a_full_check_only_after_a_loss()
    {
        await using var nodes = new StoreNodes(fixture.Cluster.ConnectionString, o => { o.Engine.Quotas = QuotaPolicy.None; o.VersionCheckInterval = null; });
        var providers = Enumerable.Range(450, 12).Select(p => new ProviderId(p)).ToArray();
        var writer = await AddNodeAsync(nodes, providers);
        var reader = await AddNodeAsync(nodes, providers);
        var calendars = providers.Select(p => new CalendarKey(p, Days[0])).ToArray();
        foreach (var calendar in calendars)
        {
            await reader.WatchAsync(calendar.Provider, calendar.Day, calendar.Day);
        }

        await writer.PublishManyAsync(calendars.Select(c => (c.Provider, c.Day, ContractWorld.Standard)));
        await Eventually.TrueAsync(() => calendars.All(c => reader.Feed.LoadedVersion(c) == 1), "the reader to lay in the days");

        // While nothing is lost, rounds of checkpoints (one call per primary) never start the full check, and once a node has
        // heard every message counted on its slots, its round publishes no checkpoint at all (a GET per slot in Redis).
        for (var round = 1; round <= 3; round++)
        {
            Assert.True((await writer.ClaimAsync(ClaimRequest.Book(calendars[round], SlotRange.Single(round), ContractWorld.Patient(round)))).Succeeded);
            await Eventually.TrueAsync(() => reader.Feed.LoadedVersion(calendars[round]) == 2, "the booking to reach the reader");
            await Eventually.TrueAsync(async () => await writer.RunVersionCheckAsync(CancellationToken.None) == 0, "the writer's round " + round + " to find it has heard everything");
            await Eventually.TrueAsync(async () => await reader.RunVersionCheckAsync(CancellationToken.None) == 0, "the reader's round " + round + " to find it has heard everything");
        }

        Assert.Equal(0, writer.FullVersionChecks);
        Assert.Equal(0, reader.FullVersionChecks);

        // A change whose message is lost (counted on its slot's channel, never heard): the next checkpoint shows it, and
        // the full check reloads the calendar on both nodes.
        var lost = calendars[5];
        var meta = Meta(nodes, lost);
        var slot = SlotChannels.SlotOf(meta);
        var owner = await fixture.Cluster.OwnerOfAsync(slot);
        var changed = long.Parse((await owner.CliAsync("HINCRBY", meta, "ver", "1")).Trim(), CultureInfo.InvariantCulture);
        await owner.CliAsync("INCRBY", nodes.Prefix + "{" + SlotChannels.TagOf(slot) + "}:feed:changes", "1");
        await CheckpointReadAsync(reader, writer, "the checkpoint after the loss");
        await Eventually.TrueAsync(() => reader.Feed.LoadedVersion(lost) == changed && writer.Feed.LoadedVersion(lost) == changed, "the full check to reload the calendar on both nodes");
        Assert.Equal(1, reader.FullVersionChecks);
        Assert.Equal(1, writer.FullVersionChecks);

        // Back in step: the next rounds publish nothing and cost nothing more.
        Assert.Equal(0, await writer.RunVersionCheckAsync(CancellationToken.None));
        Assert.Equal(0, await reader.RunVersionCheckAsync(CancellationToken.None));
        Assert.Equal(1, reader.FullVersionChecks);
        Assert.Equal(1, writer.FullVersionChecks);
    }

    /// <summary>A node with these providers registered (each in its own clinic of facility 2, so quotas do not meet).</summary>
    private static async Task<RedisSlotEngine> AddNodeAsync(StoreNodes nodes, ProviderId[] providers)
    {
        var node = await nodes.AddAsync();
        foreach (var provider in providers)
        {
            node.Directory.AddClinic(new ClinicId(1000 + provider.Value), new FacilityId(2), new BranchId(100 + provider.Value));
            node.Directory.AddProvider(provider, new ClinicId(1000 + provider.Value));
        }

        return node;
    }

    private static string Meta(StoreNodes nodes, CalendarKey calendar) =>
        nodes.Prefix + "{p:" + calendar.Provider.Value.ToString(CultureInfo.InvariantCulture) + ":" + calendar.Day.ToString("yyyyMMdd", CultureInfo.InvariantCulture) + "}:m";

    /// <summary>Script calls (EVALSHA and EVAL) the three primaries have run so far.</summary>
    private async Task<long> ScriptCallsAsync()
    {
        long calls = 0;
        foreach (var node in fixture.Cluster.Nodes)
        {
            foreach (var line in (await node.CliAsync("INFO", "commandstats")).Split('\n'))
            {
                if (line.StartsWith("cmdstat_evalsha:", StringComparison.Ordinal) || line.StartsWith("cmdstat_eval:", StringComparison.Ordinal))
                {
                    var calls0 = line.IndexOf("calls=", StringComparison.Ordinal) + 6;
                    calls += long.Parse(line[calls0..line.IndexOf(',', calls0)], CultureInfo.InvariantCulture);
                }
            }
        }

        return calls;
    }
}
