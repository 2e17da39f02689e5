using System.Globalization;
using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;
using static SlotEngine.Redis.Tests.Store.FeedSettling;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>A node lays its own claims, confirms and releases into its read model from the scripts' replies: no reload; a gap in versions still reloads.</summary>
public sealed class ReadModelDeltaTests(StandaloneServerFixture fixture) : IClassFixture<StandaloneServerFixture>
{
    private static CalendarKey Calendar => new(ContractWorld.Doctor, ContractWorld.Day);

    [Fact]
    public async Task A_node_applies_its_own_changes_without_reloading_and_another_node_still_sees_them()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => o.Engine.Quotas = QuotaPolicy.None);
        var writer = await nodes.AddAsync();
        var reader = await nodes.AddAsync();
        await PublishSettledAsync(nodes, writer, reader, Calendar);
        var reloads = writer.Feed.Reloads;
        var applied = writer.Feed.Applied;
        var deltas = writer.Feed.Deltas;

        var booked = new List<Reservation>();
        for (var slot = 0; slot < 6; slot++)
        {
            booked.Add((await writer.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(slot), ContractWorld.Patient(slot)))).Reservation);
            Assert.Equal(SlotStatus.Booked, writer.ReadModel.GetCalendar(Calendar)[slot].Status); // at once, no reload to wait for
        }

        var hold = (await writer.ClaimAsync(ClaimRequest.Hold(Calendar, new SlotRange(10, 3), ContractWorld.Patient(7), TimeSpan.FromMinutes(5)))).Reservation;
        Assert.Equal(SlotStatus.Held, writer.ReadModel.GetCalendar(Calendar)[12].Status);
        var confirmed = await writer.ConfirmAsync(hold);
        Assert.True(confirmed.Succeeded);
        Assert.Equal(SlotStatus.Booked, writer.ReadModel.GetCalendar(Calendar)[11].Status);
        Assert.True((await writer.ReleaseAsync(booked[2])).Succeeded);
        Assert.Equal(SlotStatus.Free, writer.ReadModel.GetCalendar(Calendar)[2].Status);
        Assert.True((await writer.CancelAsync(confirmed.Reservation, CancelActor.Patient)).Succeeded);
        Assert.Equal(SlotStatus.Free, writer.ReadModel.GetCalendar(Calendar)[10].Status);

        // The other node converges on the same calendar through the feed (deltas).
        var expected = Statuses(writer.ReadModel.GetCalendar(Calendar));
        await Eventually.TrueAsync(() => Statuses(reader.ReadModel.GetCalendar(Calendar)) == expected, "the reader to converge on the writer's calendar");
        await writer.Feed.WhenAllFreshAsync(TimeSpan.FromSeconds(30)); // a bound (returns once fresh), as in FeedSettling

        // Each own change is laid in from the script's reply, or from its echo when that came first (a delta).
        Assert.Equal(6 + 4, writer.Feed.Applied - applied + writer.Feed.Deltas - deltas);
        Assert.Equal(reloads, writer.Feed.Reloads); // the node's own echoes carry versions it already holds
        Assert.Equal(FreeSeats(expected), writer.ReadModel.GetCalendar(Calendar).FreeSeatCount);
        Assert.Equal(48 - 5, writer.ReadModel.GetCalendar(Calendar).FreeSeatCount);
    }

    [Fact]
    public async Task A_gap_in_versions_still_reloads()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => o.Engine.Quotas = QuotaPolicy.None);
        var writer = await nodes.AddAsync();
        var reader = await nodes.AddAsync();
        await PublishSettledAsync(nodes, writer, reader, Calendar);
        Assert.True((await writer.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(0), ContractWorld.Patient(0)))).Succeeded);
        var reloads = writer.Feed.Reloads;

        // A change the writer never heard of: the version moves in Redis with no feed message, and slot 1 is taken there.
        var tag = nodes.Prefix + "{p:" + ContractWorld.Doctor.Value.ToString(CultureInfo.InvariantCulture) + ":" + ContractWorld.Day.ToString("yyyyMMdd", CultureInfo.InvariantCulture) + "}";
        await fixture.Server.CliAsync("HINCRBY", tag + ":m", "ver", "1");
        await fixture.Server.CliAsync("SETBIT", tag + ":f", (1 ^ 7).ToString(CultureInfo.InvariantCulture), "0");

        Assert.True((await writer.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(5), ContractWorld.Patient(5)))).Succeeded);
        await Eventually.TrueAsync(() => writer.Feed.Reloads > reloads, "the gap to make the writer reload");
        await Eventually.TrueAsync(() => writer.ReadModel.GetCalendar(Calendar)[1].Status == SlotStatus.Closed, "the reload to bring the missed change");
        Assert.Equal(SlotStatus.Booked, writer.ReadModel.GetCalendar(Calendar)[5].Status);
    }

    private static int FreeSeats(string statuses) => statuses.Count(c => c == 'f');
}
