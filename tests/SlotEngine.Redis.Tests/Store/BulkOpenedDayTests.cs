using System.Buffers.Binary;
using System.Globalization;
using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>
/// A day opened in bulk on a standalone server is one key: its meta hash, holding the initial free bitmap in the field
/// 'ini', and no free key until its first change (publish_many.lua, own_free in lib.lua). Every reader and writer of the
/// bitmap sees that field as the bitmap: a node loading the day, the first claim (which makes the free key), block,
/// reopen, withdraw and rebuild.
/// </summary>
public sealed class BulkOpenedDayTests(StandaloneServerFixture fixture) : IClassFixture<StandaloneServerFixture>
{
    /// <summary>ContractWorld.Standard's bitmap: one seat, 48 slots, every one offered and free.</summary>
    private const ulong Initial = (1UL << 48) - 1;

    [Fact]
    public async Task A_day_opened_in_bulk_is_one_key_and_loads_with_its_initial_bitmap_on_another_node()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => o.VersionCheckInterval = null);
        var writer = await nodes.AddAsync();
        var calendars = Enumerable.Range(1, 6).Select(d => new CalendarKey(ContractWorld.Doctor, ContractWorld.Today.AddDays(d))).ToArray();
        Assert.Equal(calendars.Length, await writer.PublishManyAsync(calendars.Select(c => (c.Provider, c.Day, ContractWorld.Standard))));

        foreach (var calendar in calendars)
        {
            Assert.Equal("0", await CliAsync("EXISTS", Tag(nodes, calendar) + ":f"));
            Assert.Equal("1", await CliAsync("HEXISTS", Tag(nodes, calendar) + ":m", "ini"));
        }

        Assert.Equal(calendars.Length.ToString(CultureInfo.InvariantCulture), await CliAsync("EVAL", "return #redis.call('KEYS', ARGV[1])", "0", nodes.Prefix + "{p:*"));

        // A node that never heard the opening loads the days from Redis: each is the template's empty day.
        var late = await nodes.AddAsync();
        Assert.Equal(calendars.Length, await late.WarmAsync(calendars));
        foreach (var calendar in calendars)
        {
            Assert.Equal(1, late.Feed.LoadedVersion(calendar));
            AssertSameDay(writer.ReadModel.GetCalendar(calendar), late.ReadModel.GetCalendar(calendar));
            var loaded = late.ReadModel.GetCalendar(calendar);
            Assert.Equal(48, loaded.SlotCount);
            Assert.All(Enumerable.Range(0, loaded.SlotCount), s => Assert.Equal(SlotStatus.Free, loaded[s].Status));
        }

        // Loading writes nothing: the days are still one key each.
        Assert.Equal("0", await CliAsync("EXISTS", Tag(nodes, calendars[0]) + ":f"));
    }

    [Fact]
    public async Task The_claims_keep_a_bulk_days_bitmap_in_meta_and_never_make_its_free_key()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => { o.Engine.Quotas = QuotaPolicy.None; o.VersionCheckInterval = null; });
        var writer = await nodes.AddAsync();
        var reader = await nodes.AddAsync();
        var calendar = new CalendarKey(ContractWorld.SameClinic, ContractWorld.Today.AddDays(3));
        Assert.Equal(1, await writer.PublishManyAsync([(calendar.Provider, calendar.Day, ContractWorld.Standard)]));
        await Eventually.TrueAsync(() => reader.Feed.LoadedVersion(calendar) == 1, "the reader to lay in the day");

        var booked = await reader.ClaimAsync(ClaimRequest.Book(calendar, SlotRange.Single(3), ContractWorld.Patient(1)));
        Assert.True(booked.Succeeded, booked.ToString());
        Assert.Equal("1", await CliAsync("HEXISTS", Tag(nodes, calendar) + ":m", "ini"));
        Assert.Equal("0", await CliAsync("EXISTS", Tag(nodes, calendar) + ":f"));
        Assert.Equal(Initial & ~(1UL << 3), await FreeWordAsync(nodes, calendar));

        // The next claims work on 'ini' too; a late node loads exactly what the two nodes hold.
        var hold = await writer.ClaimAsync(ClaimRequest.Hold(calendar, new SlotRange(10, 2), ContractWorld.Patient(2), TimeSpan.FromMinutes(5)));
        Assert.True(hold.Succeeded, hold.ToString());
        Assert.Equal(ClaimStatus.Taken, (await writer.ClaimAsync(ClaimRequest.Book(calendar, SlotRange.Single(3), ContractWorld.Patient(3)))).Status);
        Assert.Equal(Initial & ~(1UL << 3) & ~(1UL << 10) & ~(1UL << 11), await FreeWordAsync(nodes, calendar));
        await Eventually.TrueAsync(() => writer.ReadModel.GetCalendar(calendar)[3].Status == SlotStatus.Booked, "the booking to reach the writer");
        await Eventually.TrueAsync(() => reader.ReadModel.GetCalendar(calendar)[10].Status == SlotStatus.Held, "the hold to reach the reader");
        var late = await nodes.AddAsync();
        Assert.Equal(1, await late.WarmAsync([calendar]));
        AssertSameDay(writer.ReadModel.GetCalendar(calendar), late.ReadModel.GetCalendar(calendar));
        AssertSameDay(reader.ReadModel.GetCalendar(calendar), late.ReadModel.GetCalendar(calendar));
        Assert.Equal(SlotStatus.Booked, late.ReadModel.GetCalendar(calendar)[3].Status);

        // A release frees the slot in 'ini' as well; still no free key.
        Assert.True((await writer.ReleaseAsync(booked.Reservation)).Succeeded);
        Assert.Equal(Initial & ~(1UL << 10) & ~(1UL << 11), await FreeWordAsync(nodes, calendar));
        Assert.Equal("0", await CliAsync("EXISTS", Tag(nodes, calendar) + ":f"));
    }

    [Fact]
    public async Task Sweeps_and_reclaims_of_expired_holds_free_their_slots_in_a_bulk_days_bitmap()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => { o.Engine.Quotas = QuotaPolicy.None; o.VersionCheckInterval = null; });
        var writer = await nodes.AddAsync();
        var reader = await nodes.AddAsync();
        var calendar = new CalendarKey(ContractWorld.SameClinic, ContractWorld.Today.AddDays(9));
        Assert.Equal(1, await writer.PublishManyAsync([(calendar.Provider, calendar.Day, ContractWorld.Standard)]));
        await Eventually.TrueAsync(() => reader.Feed.LoadedVersion(calendar) == 1, "the reader to lay in the day");

        // Holds that expire (by Redis's clock), freed by the sweep in 'ini'.
        Assert.True((await writer.ClaimAsync(ClaimRequest.Hold(calendar, SlotRange.Single(10), ContractWorld.Patient(3), TimeSpan.FromMilliseconds(1)))).Succeeded);
        Assert.True((await writer.ClaimAsync(ClaimRequest.Hold(calendar, new SlotRange(12, 2), ContractWorld.Patient(4), TimeSpan.FromMilliseconds(1)))).Succeeded);
        Assert.Equal(Initial & ~(1UL << 10) & ~(3UL << 12), await FreeWordAsync(nodes, calendar));
        var swept = 0;
        await Eventually.TrueAsync(async () => (swept += (await writer.SweepExpiredHoldsAsync()).Count) == 2, "the sweep to free both expired holds");
        Assert.Equal(Initial, await FreeWordAsync(nodes, calendar));

        // A claim that meets an expired hold reclaims it in 'ini'; one that then finds the rest taken keeps the reclaim.
        Assert.True((await writer.ClaimAsync(ClaimRequest.Hold(calendar, new SlotRange(20, 2), ContractWorld.Patient(5), TimeSpan.FromMilliseconds(1)))).Succeeded);
        Assert.True((await writer.ClaimAsync(ClaimRequest.Book(calendar, SlotRange.Single(22), ContractWorld.Patient(6)))).Succeeded);
        await Eventually.TrueAsync(
            async () => (await writer.ClaimAsync(ClaimRequest.Book(calendar, new SlotRange(21, 2), ContractWorld.Patient(7)))).Status == ClaimStatus.Taken
                && await FreeWordAsync(nodes, calendar) == (Initial & ~(1UL << 22)),
            "a claim to reclaim the expired hold and then find slot 22 taken");
        var booked = await writer.ClaimAsync(ClaimRequest.Book(calendar, new SlotRange(20, 2), ContractWorld.Patient(8)));
        Assert.True(booked.Succeeded, booked.ToString());
        Assert.Equal(Initial & ~(7UL << 20), await FreeWordAsync(nodes, calendar));
        Assert.Equal("0", await CliAsync("EXISTS", Tag(nodes, calendar) + ":f"));

        // Every node holds what a late node loads.
        await Eventually.TrueAsync(() => reader.ReadModel.GetCalendar(calendar)[21].Status == SlotStatus.Booked, "the booking to reach the reader");
        var late = await nodes.AddAsync();
        Assert.Equal(1, await late.WarmAsync([calendar]));
        AssertSameDay(late.ReadModel.GetCalendar(calendar), reader.ReadModel.GetCalendar(calendar));
        AssertSameDay(late.ReadModel.GetCalendar(calendar), writer.ReadModel.GetCalendar(calendar));
    }

    [Fact]
    public async Task A_stale_free_key_under_a_bulk_day_is_ignored_by_its_claims()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => { o.Engine.Quotas = QuotaPolicy.None; o.VersionCheckInterval = null; });
        var writer = await nodes.AddAsync();
        var calendar = new CalendarKey(ContractWorld.OtherClinic, ContractWorld.Today.AddDays(4));
        await CliAsync("SET", Tag(nodes, calendar) + ":f", "\u0001"); // no script leaves one: 'ini' is the bitmap all the same
        Assert.Equal(1, await writer.PublishManyAsync([(calendar.Provider, calendar.Day, ContractWorld.Standard)]));

        var late = await nodes.AddAsync();
        Assert.Equal(1, await late.WarmAsync([calendar]));
        Assert.Equal(48, late.ReadModel.GetFreeCounts(calendar.Provider, calendar.Day, calendar.Day)[0].FreeSeats);
        var booked = await late.ClaimAsync(ClaimRequest.Book(calendar, SlotRange.Single(20), ContractWorld.Patient(4)));
        Assert.True(booked.Succeeded, booked.ToString());
        Assert.Equal(Initial & ~(1UL << 20), await FreeWordAsync(nodes, calendar));
    }

    [Fact]
    public async Task A_day_whose_bitmap_would_make_meta_a_hashtable_keeps_two_keys_and_a_bigger_template_is_a_conflict()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => { o.Engine.Quotas = QuotaPolicy.None; o.VersionCheckInterval = null; });
        var writer = await nodes.AddAsync();
        var wide = new DayTemplate([new Session(new TimeOnly(9, 0), new TimeOnly(17, 0))], TimeSpan.FromMinutes(10), capacity: 9); // 9 seats x 8 bytes
        var large = new CalendarKey(ContractWorld.OtherFacility, ContractWorld.Today.AddDays(3));
        var small = new CalendarKey(ContractWorld.OtherFacility, ContractWorld.Today.AddDays(4));
        Assert.Equal(1, await writer.PublishManyAsync([(large.Provider, large.Day, wide)]));
        Assert.Equal("1", await CliAsync("EXISTS", Tag(nodes, large) + ":f"));
        Assert.Equal("0", await CliAsync("HEXISTS", Tag(nodes, large) + ":m", "ini"));
        Assert.Equal("listpack", await CliAsync("OBJECT", "ENCODING", Tag(nodes, large) + ":m"));
        var late = await nodes.AddAsync();
        Assert.Equal(1, await late.WarmAsync([large]));
        Assert.Equal(48 * 9, late.ReadModel.GetFreeCounts(large.Provider, large.Day, large.Day)[0].FreeSeats);

        // A day open as one key, published again with the wider template (whose form would test the free key): a conflict.
        Assert.Equal(1, await writer.PublishManyAsync([(small.Provider, small.Day, ContractWorld.Standard)]));
        var conflict = await Assert.ThrowsAsync<SlotEngineArgumentException>(() => writer.PublishManyAsync([(small.Provider, small.Day, wide)]));
        Assert.Equal(SlotEngineError.TemplateConflict, conflict.Code);
        Assert.Equal("0", await CliAsync("EXISTS", Tag(nodes, small) + ":f"));
        Assert.Equal("listpack", await CliAsync("OBJECT", "ENCODING", Tag(nodes, small) + ":m"));
    }

    [Fact]
    public async Task Block_reopen_withdraw_and_rebuild_of_an_unclaimed_bulk_day()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => { o.Engine.Quotas = QuotaPolicy.None; o.VersionCheckInterval = null; });
        var writer = await nodes.AddAsync();
        var reader = await nodes.AddAsync();
        var blocked = new CalendarKey(ContractWorld.ThirdClinic, ContractWorld.Today.AddDays(5));
        var withdrawn = new CalendarKey(ContractWorld.ThirdClinic, ContractWorld.Today.AddDays(6));
        var rebuilt = new CalendarKey(ContractWorld.ThirdClinic, ContractWorld.Today.AddDays(7));
        var empty = new CalendarKey(ContractWorld.ThirdClinic, ContractWorld.Today.AddDays(8));
        CalendarKey[] all = [blocked, withdrawn, rebuilt, empty];
        Assert.Equal(all.Length, await writer.PublishManyAsync(all.Select(c => (c.Provider, c.Day, ContractWorld.Standard))));
        await Eventually.TrueAsync(() => all.All(c => reader.Feed.LoadedVersion(c) == 1), "the reader to lay in the days");

        // Block: the free key is made from the initial bitmap, then the range closed on it.
        Assert.Equal(8, (await writer.BlockAsync(blocked, new SlotRange(40, 8))).ClosedSeats);
        Assert.Equal(Initial & ~(0xFFUL << 40), await FreeWordAsync(nodes, blocked));
        await Eventually.TrueAsync(() => reader.ReadModel.GetFreeCounts(blocked.Provider, blocked.Day, blocked.Day)[0].FreeSeats == 40, "the block to reach the reader");
        Assert.Equal(4, await writer.ReopenAsync(blocked, new SlotRange(40, 4)));
        Assert.Equal(Initial & ~(0xF0UL << 40), await FreeWordAsync(nodes, blocked));

        // Reopen first on another day: nothing to open (all free), no change, and the bitmap is still right.
        Assert.Equal(0, await writer.ReopenAsync(empty, new SlotRange(0, 4)));
        Assert.Equal(Initial, await FreeWordAsync(nodes, empty));

        // Withdraw: every key of the day goes; opened again in bulk, it is one key and empty again.
        await writer.WithdrawAsync(withdrawn);
        Assert.Equal("0", await CliAsync("EXISTS", Tag(nodes, withdrawn) + ":m", Tag(nodes, withdrawn) + ":f", Tag(nodes, withdrawn) + ":c", Tag(nodes, withdrawn) + ":n"));
        await Eventually.TrueAsync(() => reader.ReadModel.FindReadModel(withdrawn) is null, "the withdrawal to reach the reader");
        Assert.Equal(1, await writer.PublishManyAsync([(withdrawn.Provider, withdrawn.Day, ContractWorld.Standard)]));
        Assert.Equal("0", await CliAsync("EXISTS", Tag(nodes, withdrawn) + ":f"));
        Assert.Equal(48, (await reader.GetCalendarAsync(withdrawn)).SlotCount);

        // Rebuild with no bookings, and with one: the day gets its free key, no 'ini', and other nodes reload it.
        await writer.RebuildCalendarAsync(rebuilt, ContractWorld.Standard, []);
        Assert.Equal("0", await CliAsync("HEXISTS", Tag(nodes, rebuilt) + ":m", "ini"));
        Assert.Equal(Initial, await FreeWordAsync(nodes, rebuilt));
        var booked = await writer.ClaimAsync(ClaimRequest.Book(empty, SlotRange.Single(7), ContractWorld.Patient(6)));
        Assert.True(booked.Succeeded, booked.ToString());
        await writer.RebuildCalendarAsync(empty, ContractWorld.Standard, [booked.Reservation], booked.Reservation.Token);
        Assert.Equal(Initial & ~(1UL << 7), await FreeWordAsync(nodes, empty));
        await Eventually.TrueAsync(() => reader.ReadModel.GetCalendar(empty)[7].Status == SlotStatus.Booked, "the rebuilt booking on the reader");
        var late = await nodes.AddAsync();
        Assert.Equal(all.Length, await late.WarmAsync(all));
        foreach (var calendar in all)
        {
            await Eventually.TrueAsync(() => reader.Feed.LoadedVersion(calendar) == late.Feed.LoadedVersion(calendar), "the reader to hold " + calendar);
            AssertSameDay(reader.ReadModel.GetCalendar(calendar), late.ReadModel.GetCalendar(calendar));
        }
    }

    private static void AssertSameDay(CalendarSnapshot expected, CalendarSnapshot actual)
    {
        Assert.Equal(expected.SlotCount, actual.SlotCount);
        Assert.Equal(expected.Capacity, actual.Capacity);
        Assert.All(Enumerable.Range(0, expected.SlotCount), s => Assert.Equal(expected[s].Status, actual[s].Status));
    }

    private async Task<string> CliAsync(params string[] args) => (await fixture.Server.CliAsync(args)).Trim();

    /// <summary>
    /// The day's bitmap's one 64-bit word (ContractWorld.Standard: one seat of 48 slots): meta's 'ini' while the day keeps
    /// it there, else the free key (as load.lua reads it).
    /// </summary>
    private async Task<ulong> FreeWordAsync(StoreNodes nodes, CalendarKey calendar)
    {
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(fixture.Server.Endpoint);
        var db = redis.GetDatabase();
        var raw = (byte[]?)await db.HashGetAsync(Tag(nodes, calendar) + ":m", "ini") ?? (byte[]?)await db.StringGetAsync(Tag(nodes, calendar) + ":f");
        Assert.NotNull(raw);
        Assert.Equal(8, raw.Length);
        return BinaryPrimitives.ReadUInt64LittleEndian(raw);
    }

    private static string Tag(StoreNodes nodes, CalendarKey calendar) =>
        nodes.Prefix + "{p:" + calendar.Provider.Value.ToString(CultureInfo.InvariantCulture) + ":" + calendar.Day.ToString("yyyyMMdd", CultureInfo.InvariantCulture) + "}";
}

/// <summary>
/// In a cluster a day opened in bulk keeps its free key and placeholders (a slot migration moves both keys together
/// and never finds a script's keys half present): no 'ini' field, and the day reads and claims as before.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class BulkOpenedClusterDayTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_cluster_day_opened_in_bulk_keeps_its_free_key_and_loads_and_claims_on_another_node()
    {
        await using var nodes = new StoreNodes(fixture.Cluster.ConnectionString, o => { o.Engine.Quotas = QuotaPolicy.None; o.VersionCheckInterval = null; });
        var providers = Enumerable.Range(480, 6).Select(p => new ProviderId(p)).ToArray();
        var writer = await AddNodeAsync(nodes, providers);
        var calendars = providers.Select(p => new CalendarKey(p, ContractWorld.Today.AddDays(2))).ToArray();
        Assert.Equal(calendars.Length, await writer.PublishManyAsync(calendars.Select(c => (c.Provider, c.Day, ContractWorld.Standard))));
        foreach (var calendar in calendars)
        {
            var tag = Tag(nodes, calendar);
            var owner = await fixture.Cluster.OwnerOfAsync(SlotChannels.SlotOf(tag + ":m"));
            Assert.Equal("2", (await owner.CliAsync("EXISTS", tag + ":m", tag + ":f")).Trim()); // the claims and nonces are fields of meta
            Assert.Equal("0", (await owner.CliAsync("EXISTS", tag + ":c", tag + ":n")).Trim());
            Assert.Equal("0", (await owner.CliAsync("HEXISTS", tag + ":m", "ini")).Trim());
        }

        var late = await AddNodeAsync(nodes, providers);
        Assert.Equal(calendars.Length, await late.WarmAsync(calendars));
        var booked = await late.ClaimAsync(ClaimRequest.Book(calendars[2], SlotRange.Single(9), ContractWorld.Patient(9)));
        Assert.True(booked.Succeeded, booked.ToString());
        await Eventually.TrueAsync(() => writer.ReadModel.GetCalendar(calendars[2])[9].Status == SlotStatus.Booked, "the booking to reach the writer");
        foreach (var calendar in calendars)
        {
            var expected = writer.ReadModel.GetCalendar(calendar);
            var actual = late.ReadModel.GetCalendar(calendar);
            Assert.Equal(expected.SlotCount, actual.SlotCount);
            Assert.All(Enumerable.Range(0, expected.SlotCount), s => Assert.Equal(expected[s].Status, actual[s].Status));
        }
    }

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

    private static string Tag(StoreNodes nodes, CalendarKey calendar) =>
        nodes.Prefix + "{p:" + calendar.Provider.Value.ToString(CultureInfo.InvariantCulture) + ":" + calendar.Day.ToString("yyyyMMdd", CultureInfo.InvariantCulture) + "}";
}
