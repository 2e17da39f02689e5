using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;
using SlotEngine.Redis.Tests.Telemetry;

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
}
