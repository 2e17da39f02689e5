using Xunit.Abstractions;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>
/// What a node's read model costs per calendar it holds, apart from the calendars themselves: the feed's state of each
/// (the version loaded, own writes under way) and the read model's own structures, measured on the heap.
/// </summary>
public sealed class ReadModelFeedMemoryTests(ITestOutputHelper output)
{
    [Fact]
    public void The_feeds_state_per_calendar_held_is_measured()
    {
        const int Calendars = 200_000;
        using var stop = new CancellationTokenSource();
        var keys = new CalendarKey[Calendars];
        for (var i = 0; i < Calendars; i++)
        {
            keys[i] = new CalendarKey(new ProviderId(i / 15), new DateOnly(2030, 1, 1).AddDays(i % 15));
        }

        // This thread's allocations (other tests running meanwhile do not count), and the heap's growth for the record.
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var feed = new ReadModelFeed((_, _) => Task.FromResult(1L), stop.Token, warning: null);
        foreach (var key in keys)
        {
            Assert.True(feed.LoadedLocally(key, 1, () => true));
        }

        var allocated = (GC.GetAllocatedBytesForCurrentThread() - allocatedBefore) / (double)Calendars;
        var retained = (GC.GetTotalMemory(forceFullCollection: true) - before) / (double)Calendars;
        output.WriteLine($"feed state: {allocated:0.0} bytes allocated and about {retained:0.0} retained per calendar held");

        // 2.25 M calendars at national size: every byte here is 2.25 MB per node. A bound, so that the state does not grow unseen.
        Assert.InRange(allocated, 1, 272);
        Assert.Equal(1, feed.LoadedVersion(keys[^1]));
        GC.KeepAlive(feed);
    }
}
