using SlotEngine.Redis.Tests.Contract;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>Set-up shared by the feed delta tests: a day published by a bystander, a checkpoint read by both nodes, and a calendar as one string of statuses.</summary>
internal static class FeedSettling
{
    /// <summary>
    /// A third node publishes the day, so that writer and reader each learn of it through exactly one
    /// feed message (a reset, laid in from the template it carries) and nothing about the publication is still on its way to
    /// them when the test starts counting. (Had the writer published, its own reset echo could come
    /// after the test started counting, or merge with the reload of the publish reply.)
    /// </summary>
    public static async Task PublishSettledAsync(StoreNodes nodes, RedisSlotEngine writer, RedisSlotEngine reader, CalendarKey calendar)
    {
        var publisher = await nodes.AddAsync();
        await publisher.PublishAsync(calendar.Provider, calendar.Day, ContractWorld.Standard);
        await Eventually.TrueAsync(
            () => reader.ReadModel.FindReadModel(calendar) is not null && writer.ReadModel.FindReadModel(calendar) is not null,
            "writer and reader to load the published day");
        await writer.Feed.WhenAllFreshAsync(TimeSpan.FromSeconds(30));
        await reader.Feed.WhenAllFreshAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>Runs a checkpoint round from <paramref name="from"/> and waits until both nodes have read more checkpoints.</summary>
    public static async Task CheckpointReadAsync(RedisSlotEngine from, RedisSlotEngine other, string what)
    {
        var (a, b) = (from.CheckpointsRead, other.CheckpointsRead);
        await from.RunVersionCheckAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => from.CheckpointsRead > a && other.CheckpointsRead > b, "both nodes to read " + what);
    }

    /// <summary>One letter per slot: f free, h held, b booked, x anything else.</summary>
    public static string Statuses(CalendarSnapshot calendar) =>
        string.Concat(Enumerable.Range(0, calendar.SlotCount).Select(slot => calendar[slot].Status switch
        {
            SlotStatus.Free => 'f',
            SlotStatus.Held => 'h',
            SlotStatus.Booked => 'b',
            _ => 'x',
        }));
}
