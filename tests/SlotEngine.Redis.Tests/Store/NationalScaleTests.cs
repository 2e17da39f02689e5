using System.Globalization;
using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>
/// Issue 10 (the store side): other nodes' changes arrive as deltas (no reload in the steady state), a gap reloads
/// that calendar alone, days open in bulk with progress, and a search's freshness check does not grow with the
/// number of calendars a node holds. Counted by the feed's counters, never timed.
/// </summary>
public sealed class NationalScaleTests(StandaloneServerFixture fixture) : IClassFixture<StandaloneServerFixture>
{
    private static CalendarKey Calendar => new(ContractWorld.Doctor, ContractWorld.Day);

    private static CalendarKey Other => new(ContractWorld.SameClinic, ContractWorld.Day);

    [Fact]
    public async Task Another_nodes_claims_confirms_and_releases_reach_the_read_model_as_deltas_without_a_reload()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => o.Engine.Quotas = QuotaPolicy.None);
        var a = await nodes.AddAsync();
        var b = await nodes.AddAsync();
        await PublishSettledAsync(nodes, a, b, Calendar);
        var reloads = a.Feed.Reloads;
        var deltas = a.Feed.Deltas;

        var booked = (await b.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(3), ContractWorld.Patient(3)))).Reservation;
        var held = (await b.ClaimAsync(ClaimRequest.Hold(Calendar, new SlotRange(10, 2), ContractWorld.Patient(4), TimeSpan.FromMinutes(5)))).Reservation;
        await Eventually.TrueAsync(() => a.ReadModel.GetCalendar(Calendar)[11].Status == SlotStatus.Held, "the hold to reach node A");
        Assert.Equal(SlotStatus.Booked, a.ReadModel.GetCalendar(Calendar)[3].Status);
        Assert.Equal(ContractWorld.Patient(3), a.ReadModel.GetCalendar(Calendar)[3].Owner);

        var confirmed = (await b.ConfirmAsync(held)).Reservation;
        await Eventually.TrueAsync(() => a.ReadModel.GetCalendar(Calendar)[10].Status == SlotStatus.Booked, "the confirm to reach node A");
        Assert.True((await b.CancelAsync(confirmed, CancelActor.Administrator)).Succeeded);
        Assert.True((await b.ReleaseAsync(booked)).Succeeded);
        await Eventually.TrueAsync(() => a.ReadModel.GetCalendar(Calendar).FreeSeatCount == 48, "the releases to reach node A");

        Assert.Equal(5, a.Feed.Deltas - deltas);
        Assert.Equal(reloads, a.Feed.Reloads); // 0 reloads per change
        Assert.Equal(b.ReadModel.GetCalendar(Calendar).Version, a.ReadModel.GetCalendar(Calendar).Version);
    }

    [Fact]
    public async Task A_gap_in_another_nodes_changes_reloads_that_calendar_alone()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => o.Engine.Quotas = QuotaPolicy.None);
        var a = await nodes.AddAsync();
        var b = await nodes.AddAsync();
        await PublishSettledAsync(nodes, a, b, Calendar, Other);
        var gapped = a.Feed.ReloadsOf(Calendar);
        var untouched = a.Feed.ReloadsOf(Other);

        // A change node A never hears of: the version moves in Redis with no feed message, and slot 1 closes there.
        var tag = nodes.Prefix + "{p:" + ContractWorld.Doctor.Value.ToString(CultureInfo.InvariantCulture) + ":" + ContractWorld.Day.ToString("yyyyMMdd", CultureInfo.InvariantCulture) + "}";
        await fixture.Server.CliAsync("HINCRBY", tag + ":m", "ver", "1");
        await fixture.Server.CliAsync("SETBIT", tag + ":f", (1 ^ 7).ToString(CultureInfo.InvariantCulture), "0");

        // Node B's next claims: one on the gapped calendar (its delta is one version too far for A), one on the other.
        Assert.True((await b.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(5), ContractWorld.Patient(5)))).Succeeded);
        Assert.True((await b.ClaimAsync(ClaimRequest.Book(Other, SlotRange.Single(6), ContractWorld.Patient(6)))).Succeeded);

        await Eventually.TrueAsync(() => a.ReadModel.GetCalendar(Calendar)[1].Status == SlotStatus.Closed, "the gap to reload the calendar");
        await Eventually.TrueAsync(() => a.ReadModel.GetCalendar(Other)[6].Status == SlotStatus.Booked, "the other calendar's delta");
        Assert.Equal(SlotStatus.Booked, a.ReadModel.GetCalendar(Calendar)[5].Status);
        Assert.True(a.Feed.ReloadsOf(Calendar) > gapped);
        Assert.Equal(untouched, a.Feed.ReloadsOf(Other));
    }

    [Fact]
    public async Task Days_open_in_bulk_with_progress_and_the_publishing_node_reloads_none()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => o.Engine.Quotas = QuotaPolicy.None);
        var publisher = await nodes.AddAsync();
        var days = Enumerable.Range(1, 5).Select(d => ContractWorld.Today.AddDays(d)).ToArray();
        var providers = new[] { ContractWorld.Doctor, ContractWorld.SameClinic, ContractWorld.OtherClinic };
        var reports = new List<int>();
        var opened = await publisher.PublishManyAsync(
            providers.SelectMany(p => days.Select(d => (p, d, ContractWorld.Standard))),
            new InlineProgress(reports.Add),
            batchSize: 4);

        Assert.Equal(15, opened);
        Assert.Equal([4, 8, 12, 15], reports);
        foreach (var provider in providers)
        {
            foreach (var day in days)
            {
                Assert.Equal(48, publisher.ReadModel.GetCalendar(new CalendarKey(provider, day)).FreeSeatCount);
            }
        }

        // A day open already with the same template is fine; with another it is a conflict.
        Assert.Equal(1, await publisher.PublishManyAsync([(ContractWorld.Doctor, days[0], ContractWorld.Standard)]));
        var conflict = await Assert.ThrowsAsync<SlotEngineArgumentException>(() => publisher.PublishManyAsync([(ContractWorld.Doctor, days[0], ContractWorld.AllDay)]));
        Assert.Equal(SlotEngineError.TemplateConflict, conflict.Code);

        // A later change heard through the feed (one ordered channel) means every publish echo before it was heard:
        // the publisher laid each day in from its template and dropped the echoes, reading nothing back.
        var other = await nodes.AddAsync();
        var key = new CalendarKey(ContractWorld.Doctor, days[2]);
        Assert.Equal(15, await other.WarmAsync(providers.SelectMany(p => days.Select(d => new CalendarKey(p, d)))));
        Assert.True((await other.ClaimAsync(ClaimRequest.Book(key, SlotRange.Single(0), ContractWorld.Patient(1)))).Succeeded);
        await Eventually.TrueAsync(() => publisher.ReadModel.GetCalendar(key)[0].Status == SlotStatus.Booked, "the claim to reach the publisher");
        Assert.Equal(0, publisher.Feed.Reloads);
    }

    [Fact]
    public async Task A_search_does_not_visit_the_calendars_a_node_holds()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => o.Engine.Quotas = QuotaPolicy.None);
        var node = await nodes.AddAsync();
        const int Providers = 700;
        for (var i = 0; i < Providers; i++)
        {
            node.Directory.AddProvider(new ProviderId(1000 + i), new ClinicId(12));
        }

        var days = Enumerable.Range(1, 15).Select(d => ContractWorld.Today.AddDays(d)).ToArray();
        var published = await node.PublishManyAsync(Enumerable.Range(0, Providers).SelectMany(i => days.Select(d => (new ProviderId(1000 + i), d, ContractWorld.Standard))));
        Assert.Equal(Providers * days.Length, published);
        Assert.True(node.ReadModel.ReadModelKeys().Count >= 10_000);

        // Own writes applied from their replies: nothing pending, so a search's freshness check is one read.
        var visits = node.Feed.FreshnessVisits;
        for (var i = 0; i < 20; i++)
        {
            var key = new CalendarKey(new ProviderId(1000 + i), days[0]);
            Assert.True((await node.ClaimAsync(ClaimRequest.Book(key, SlotRange.Single(0), ContractWorld.Patient(i)))).Succeeded);
            var found = await node.FindEarliestAsync(EarliestQuery.ForProviders([new ProviderId(1000 + i)], days[0], days[0]));
            Assert.Equal(1, found.Single().Slots.First); // read your own write: slot 0 is taken
            await node.FindEarliestAsync(EarliestQuery.ForClinic(new ClinicId(12), days[0], days[14], count: 5));
            await node.GetFreeCountsAsync(new ProviderId(1000 + i), days[0], days[14]);
        }

        Assert.Equal(0, node.Feed.OwnPending);
        Assert.Equal(visits, node.Feed.FreshnessVisits);
    }

    [Fact]
    public async Task Two_nodes_racing_on_the_same_calendars_converge_on_what_Redis_holds_mostly_by_deltas()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => o.Engine.Quotas = QuotaPolicy.None);
        var a = await nodes.AddAsync();
        var b = await nodes.AddAsync();
        var calendars = new[] { Calendar, Other, new CalendarKey(ContractWorld.OtherClinic, ContractWorld.Day) };
        await PublishSettledAsync(nodes, a, b, calendars);
        var reloads = a.Feed.Reloads + b.Feed.Reloads;

        // Both nodes claim, confirm and release on the same few calendars at once: replies and other nodes'
        // messages interleave in every order (own replies before the other node's earlier change included).
        var changes = 0;
        async Task WorkAsync(RedisSlotEngine node, int seed)
        {
            var random = new Random(seed);
            for (var i = 0; i < 150; i++)
            {
                var key = calendars[random.Next(calendars.Length)];
                var slot = random.Next(48);
                var held = await node.ClaimAsync(ClaimRequest.Hold(key, SlotRange.Single(slot), ContractWorld.Patient(random.Next(1000)), TimeSpan.FromMinutes(5)));
                if (!held.Succeeded)
                {
                    continue;
                }

                Interlocked.Increment(ref changes);
                var confirmed = await node.ConfirmAsync(held.Reservation);
                Interlocked.Increment(ref changes);
                if (random.Next(2) == 0 && confirmed.Succeeded)
                {
                    Assert.True((await node.ReleaseAsync(confirmed.Reservation)).Succeeded);
                    Interlocked.Increment(ref changes);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(() => WorkAsync(w % 2 == 0 ? a : b, w))));

        // A fresh node loads the truth; both racers' read models converge on it.
        var judge = await nodes.AddAsync();
        Assert.Equal(calendars.Length, await judge.WarmAsync(calendars));
        foreach (var key in calendars)
        {
            var truth = Owners(judge.ReadModel.GetCalendar(key));
            await Eventually.TrueAsync(() => Owners(a.ReadModel.GetCalendar(key)) == truth && Owners(b.ReadModel.GetCalendar(key)) == truth, $"both nodes to converge on {key}");
        }

        // Deltas, not reloads: a reload only where an own reply's gap outlived the grace (a loaded machine), so fewer
        // than one per change (before deltas, every change made the other node reload).
        Assert.True(changes > 100, $"only {changes} changes were made");
        Assert.True(a.Feed.Deltas + b.Feed.Deltas > 0);
        Assert.True(a.Feed.Reloads + b.Feed.Reloads - reloads < changes, $"{a.Feed.Reloads + b.Feed.Reloads - reloads} reloads for {changes} changes");
    }

    [Fact]
    public async Task The_version_check_finds_the_calendars_that_differ_across_batches()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => { o.Engine.Quotas = QuotaPolicy.None; o.VersionCheckInterval = null; });
        var node = await nodes.AddAsync();
        const int Providers = 600;
        for (var i = 0; i < Providers; i++)
        {
            node.Directory.AddProvider(new ProviderId(3000 + i), new ClinicId(12));
        }

        var days = new[] { ContractWorld.Today.AddDays(1), ContractWorld.Today.AddDays(2) };
        await node.PublishManyAsync(Enumerable.Range(0, Providers).SelectMany(i => days.Select(d => (new ProviderId(3000 + i), d, ContractWorld.Standard))));
        Assert.Equal(0, await node.CheckVersionsAsync(CancellationToken.None));

        // Two changes the feed never carried, far apart in the walk (more than one batch of 1,024): a version moved, a day deleted.
        var moved = new CalendarKey(new ProviderId(3000 + Providers - 1), days[1]);
        var gone = new CalendarKey(new ProviderId(3000), days[0]);
        await fixture.Server.CliAsync("HINCRBY", Tag(nodes, moved) + ":m", "ver", "1");
        await fixture.Server.CliAsync("DEL", Tag(nodes, gone) + ":m", Tag(nodes, gone) + ":f", Tag(nodes, gone) + ":c", Tag(nodes, gone) + ":n");

        Assert.Equal(2, await node.CheckVersionsAsync(CancellationToken.None));
        await Eventually.TrueAsync(() => node.Feed.LoadedVersion(moved) == 2 && node.ReadModel.FindReadModel(gone) is null, "the two calendars to reload");
    }

    private static string Tag(StoreNodes nodes, CalendarKey key) =>
        nodes.Prefix + "{p:" + key.Provider.Value.ToString(CultureInfo.InvariantCulture) + ":" + key.Day.ToString("yyyyMMdd", CultureInfo.InvariantCulture) + "}";

    private static string Owners(CalendarSnapshot calendar) =>
        string.Join(',', Enumerable.Range(0, calendar.SlotCount).Select(slot => calendar[slot].Status + ":" + calendar[slot].Token));

    /// <summary>Both nodes hold the calendars (published by a third node) and have heard everything about them.</summary>
    private static async Task PublishSettledAsync(StoreNodes nodes, RedisSlotEngine a, RedisSlotEngine b, params CalendarKey[] calendars)
    {
        var publisher = await nodes.AddAsync();
        foreach (var key in calendars)
        {
            await publisher.PublishAsync(key.Provider, key.Day, ContractWorld.Standard);
        }

        await Eventually.TrueAsync(
            () => calendars.All(k => a.ReadModel.FindReadModel(k) is not null && b.ReadModel.FindReadModel(k) is not null),
            "both nodes to load the published days");
        await a.Feed.WhenAllFreshAsync(TimeSpan.FromSeconds(30));
        await b.Feed.WhenAllFreshAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>Reports on the caller's thread, in order (<see cref="Progress{T}"/> posts to the thread pool).</summary>
    private sealed class InlineProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
