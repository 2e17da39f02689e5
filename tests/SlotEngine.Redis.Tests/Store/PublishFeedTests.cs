using System.Globalization;
using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;
using SlotEngine.Redis.Tests.Telemetry;
using static SlotEngine.Redis.Tests.Store.FeedSettling;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>
/// A day another node opens reaches a node as its <c>reset</c> message carrying the template: laid in without reading the
/// day back (no reload), one by one and in bulk; a <c>reset</c> without a template (a rebuild) still reloads.
/// </summary>
public sealed class PublishFeedTests(StandaloneServerFixture fixture) : IClassFixture<StandaloneServerFixture>
{
    [Fact]
    public async Task Another_node_lays_in_days_opened_one_by_one_and_in_bulk_without_a_reload()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => o.VersionCheckInterval = null);
        var writer = await nodes.AddAsync();
        var reader = await nodes.AddAsync();
        var days = Enumerable.Range(1, 15).Select(d => ContractWorld.Today.AddDays(d)).ToArray();
        var providers = new[] { ContractWorld.Doctor, ContractWorld.SameClinic, ContractWorld.OtherClinic, ContractWorld.ThirdClinic, ContractWorld.OtherFacility };
        var bulk = providers.SelectMany(p => days.Skip(1).Select(d => new CalendarKey(p, d))).ToArray();
        var single = new CalendarKey(ContractWorld.Doctor, days[0]);

        await writer.PublishAsync(single.Provider, single.Day, ContractWorld.Standard);
        Assert.Equal(bulk.Length, await writer.PublishManyAsync(bulk.Select(c => (c.Provider, c.Day, ContractWorld.Standard)), batchSize: 16));
        var all = bulk.Append(single).ToArray();
        await Eventually.TrueAsync(() => all.All(c => reader.Feed.LoadedVersion(c) == 1), "the reader to lay in every day opened");

        Assert.Equal(0, reader.Feed.Reloads);
        Assert.Equal(all.Length, reader.Feed.PublishedLaidIn);
        Assert.Equal(0, writer.Feed.Reloads); // its own echoes are dropped
        var view = reader.ReadModel.GetCalendar(single);
        Assert.Equal(ContractWorld.Standard.Capacity, view.Capacity);
        Assert.All(Enumerable.Range(0, view.SlotCount), s => Assert.Equal(writer.ReadModel.GetCalendar(single)[s].Status, view[s].Status));

        // Changes after it are deltas on the laid-in day; the reader's own claim on it works as on a loaded one.
        var hold = await writer.ClaimAsync(ClaimRequest.Hold(single, SlotRange.Single(2), ContractWorld.Patient(1), TimeSpan.FromMinutes(5)));
        Assert.True(hold.Succeeded, hold.ToString());
        await Eventually.TrueAsync(() => reader.ReadModel.GetCalendar(single)[2].Status == SlotStatus.Held, "the hold to reach the reader");
        var own = await reader.ClaimAsync(ClaimRequest.Book(bulk[3], SlotRange.Single(5), ContractWorld.Patient(2)));
        Assert.True(own.Succeeded, own.ToString());
        await Eventually.TrueAsync(() => writer.ReadModel.GetCalendar(bulk[3])[5].Status == SlotStatus.Booked, "the booking to reach the writer");
        Assert.Equal(0, reader.Feed.Reloads);
        Assert.Equal(0, writer.Feed.Reloads);
    }

    [Fact]
    public async Task A_rebuild_reset_carries_no_template_and_reloads()
    {
        using var meters = new MeterScope();
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => o.VersionCheckInterval = null);
        var writer = await nodes.AddAsync();
        var reader = await nodes.AddAsync(o => o.MeterFactory = meters);
        var calendar = new CalendarKey(ContractWorld.Doctor, ContractWorld.Today.AddDays(9));
        await writer.PublishAsync(calendar.Provider, calendar.Day, ContractWorld.Standard);
        await Eventually.TrueAsync(() => reader.Feed.LoadedVersion(calendar) == 1, "the reader to lay in the day");
        var booked = await writer.ClaimAsync(ClaimRequest.Book(calendar, SlotRange.Single(4), ContractWorld.Patient(3)));
        Assert.True(booked.Succeeded, booked.ToString());
        var reloads = reader.Feed.Reloads;

        await writer.RebuildCalendarAsync(calendar, ContractWorld.Standard, [booked.Reservation], booked.Reservation.Token);
        await Eventually.TrueAsync(() => reader.Feed.Reloads > reloads, "the reader to reload the rebuilt day");
        await Eventually.TrueAsync(() => reader.ReadModel.GetCalendar(calendar)[4].Status == SlotStatus.Booked, "the rebuilt booking on the reader");

        // The reload counter (what the load generator reports per booking) counts exactly the reader's reloads: none
        // for the publish and the booking's delta, the rebuild's.
        Assert.Equal(0, reloads);
        Assert.Equal(reader.Feed.Reloads, (long)meters.Of(RedisSlotEngineTelemetry.Reloads).Sum(m => m.Value));
    }

    [Fact]
    public void The_template_field_reads_back_what_the_scripts_write()
    {
        var published = new FeedPublished();
        var text = TemplateText.Format(ContractWorld.Standard);
        var message = "100:20301231|1|reset|t9" + FeedPublished.Field(text);
        Assert.True(FeedMessage.TryParse(message, out var parsed));
        Assert.Equal(FeedChange.Reset, parsed.Change);
        Assert.Equal(1, parsed.Version);
        Assert.Equal(ContractWorld.Standard, published.TemplateOf(message));
        Assert.Same(published.TemplateOf(message), published.TemplateOf(message));
        Assert.Null(published.TemplateOf("100:20301231|1|reset|t9"));
        Assert.Null(published.TemplateOf("100:20301231|1|reset|t9|nnot-a-template"));
    }

    [Fact]
    public async Task A_bulk_publish_is_one_feed_message_per_call_counted_once_and_a_loss_after_it_is_found()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => { o.Engine.Quotas = QuotaPolicy.None; o.VersionCheckInterval = null; });
        var writer = await nodes.AddAsync();
        var reader = await nodes.AddAsync();
        var providers = new[] { ContractWorld.Doctor, ContractWorld.SameClinic, ContractWorld.OtherClinic, ContractWorld.ThirdClinic, ContractWorld.OtherFacility };
        var calendars = providers.SelectMany(p => Enumerable.Range(20, 10).Select(d => new CalendarKey(p, ContractWorld.Today.AddDays(d)))).ToArray();
        await CheckpointReadAsync(writer, reader, "the first checkpoint"); // both nodes learn the channel's offset
        var counter = nodes.Prefix + "feed:changes";
        var before = await CounterAsync(counter);

        // 50 days, 16 per script call, one template: 4 calls, each announcing its days with one message, counted once.
        Assert.Equal(calendars.Length, await writer.PublishManyAsync(calendars.Select(c => (c.Provider, c.Day, ContractWorld.Standard)), batchSize: 16));
        Assert.Equal(4, await CounterAsync(counter) - before);
        await Eventually.TrueAsync(() => calendars.All(c => reader.Feed.LoadedVersion(c) == 1), "the reader to lay in every day opened");
        Assert.Equal(calendars.Length, reader.Feed.PublishedLaidIn);
        Assert.Equal(0, reader.Feed.Reloads);
        Assert.Equal(0, writer.Feed.Reloads); // its own days, laid in from the reply; their echo dropped
        Assert.Equal(writer.ReadModel.GetCalendar(calendars[^1]).SlotCount, reader.ReadModel.GetCalendar(calendars[^1]).SlotCount);

        // The messages heard match the counter: no full check.
        await CheckpointReadAsync(writer, reader, "the checkpoint after the bulk publish");
        Assert.Equal(0, reader.FullVersionChecks);
        Assert.Equal(0, writer.FullVersionChecks);

        // A change to one of the days whose message is lost (counted, never heard): found at the next checkpoint.
        var lost = calendars[17];
        var meta = Meta(nodes, lost);
        var changed = long.Parse((await fixture.Server.CliAsync("HINCRBY", meta, "ver", "1")).Trim(), CultureInfo.InvariantCulture);
        await fixture.Server.CliAsync("INCRBY", counter, "1");
        await CheckpointReadAsync(reader, writer, "the checkpoint after the loss");
        await Eventually.TrueAsync(() => reader.Feed.LoadedVersion(lost) == changed && writer.Feed.LoadedVersion(lost) == changed, "the full check to reload the day on both nodes");
        Assert.Equal(1, reader.FullVersionChecks);
        Assert.Equal(1, writer.FullVersionChecks);
    }

    [Fact]
    public async Task A_bulk_publish_opens_over_a_free_bitmap_left_without_meta_and_answers_days_open_already()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => o.VersionCheckInterval = null);
        var writer = await nodes.AddAsync();
        var reader = await nodes.AddAsync();
        var calendars = Enumerable.Range(2, 6).Select(d => new CalendarKey(ContractWorld.OtherClinic, ContractWorld.Today.AddDays(d))).ToArray();
        await writer.PublishAsync(calendars[0].Provider, calendars[0].Day, ContractWorld.Standard); // open already
        var booked = await writer.ClaimAsync(ClaimRequest.Book(calendars[0], SlotRange.Single(1), ContractWorld.Patient(4)));
        Assert.True(booked.Succeeded, booked.ToString());
        var stray = Meta(nodes, calendars[1])[..^1] + "f";
        await fixture.Server.CliAsync("SET", stray, "junk"); // no script leaves this; opened over it all the same

        Assert.Equal(calendars.Length, await writer.PublishManyAsync(calendars.Select(c => (c.Provider, c.Day, ContractWorld.Standard))));
        await Eventually.TrueAsync(() => calendars.All(c => reader.Feed.LoadedVersion(c) >= 1), "the reader to hold every day");
        Assert.Equal(2, reader.Feed.LoadedVersion(calendars[0])); // untouched: version 2, the booking kept
        Assert.Equal(SlotStatus.Booked, (await reader.GetCalendarAsync(calendars[0]))[1].Status);
        var fresh = await reader.GetCalendarAsync(calendars[1]);
        Assert.All(Enumerable.Range(0, fresh.SlotCount), s => Assert.Equal(SlotStatus.Free, fresh[s].Status));
        var hold = await reader.ClaimAsync(ClaimRequest.Hold(calendars[1], SlotRange.Single(0), ContractWorld.Patient(5), TimeSpan.FromMinutes(5)));
        Assert.True(hold.Succeeded, hold.ToString());

        // Published again with another template: the conflict is reported.
        var other = new DayTemplate([new Session(new TimeOnly(9, 0), new TimeOnly(10, 0))], TimeSpan.FromMinutes(15));
        var conflict = await Assert.ThrowsAsync<SlotEngineArgumentException>(() => writer.PublishManyAsync([(calendars[2].Provider, calendars[2].Day, other)]));
        Assert.Equal(SlotEngineError.TemplateConflict, conflict.Code);
    }

    [Fact]
    public void The_bulk_message_reads_back_what_publish_many_writes_and_older_readers_skip_it()
    {
        var published = new FeedPublished();
        var text = TemplateText.Format(ContractWorld.Standard);
        var message = "*100:20301231,101:20310101|1|reset|t9" + FeedPublished.Field(text);
        Assert.True(PublishedBatch.TryParse(message, out var references, out var version, out var changedAtMs));
        Assert.Equal(1, version);
        Assert.Equal(9, changedAtMs);
        Assert.Equal(ContractWorld.Standard, published.TemplateOf(message));
        var days = new List<CalendarKey>();
        while (PublishedBatch.NextCalendar(ref references, out var reference))
        {
            Assert.True(StoreKeys.TryParseCalendarRef(reference, out var key));
            days.Add(key);
        }

        Assert.Equal([new CalendarKey(new ProviderId(100), new DateOnly(2030, 12, 31)), new CalendarKey(new ProviderId(101), new DateOnly(2031, 1, 1))], days);
        Assert.False(FeedMessage.TryParse(message, out _)); // a reader of the one-day form ignores it
        Assert.False(PublishedBatch.TryParse("100:20301231|1|reset|t9", out _, out _, out _));
        Assert.False(PublishedBatch.TryParse("*100:20301231|1|t9", out _, out _, out _));
    }

    private async Task<long> CounterAsync(string key)
    {
        var text = (await fixture.Server.CliAsync("GET", key)).Trim();
        return text.Length == 0 ? 0 : long.Parse(text, CultureInfo.InvariantCulture);
    }

    private static string Meta(StoreNodes nodes, CalendarKey calendar) =>
        nodes.Prefix + "{p:" + calendar.Provider.Value.ToString(CultureInfo.InvariantCulture) + ":" + calendar.Day.ToString("yyyyMMdd", CultureInfo.InvariantCulture) + "}:m";
}
