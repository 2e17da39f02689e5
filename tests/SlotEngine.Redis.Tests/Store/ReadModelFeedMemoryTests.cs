using Xunit.Abstractions;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>
/// What a node's read model costs apart from the calendars themselves, at national size: the feed's state of each calendar
/// (measured on the heap), and a bound on the reads a resync sends at once.
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

    [Fact]
    public async Task A_resync_of_every_calendar_reads_a_bounded_number_at_once()
    {
        // A reconnect's resync reloads every calendar held; the reads go out a bounded number at a time, not all at once
        // (at national size 2.25 M reads queued in the client timed out before they were sent, again and again).
        const int Calendars = 200;
        const int Bound = 4;
        using var stop = new CancellationTokenSource();
        var running = 0;
        var most = 0;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var feed = new ReadModelFeed(
            async (_, ct) =>
            {
                var now = Interlocked.Increment(ref running);
                InterlockedMax(ref most, now);
                await gate.Task.WaitAsync(ct);
                Interlocked.Decrement(ref running);
                return 2;
            },
            stop.Token,
            warning: null,
            maxReloadsInFlight: Bound);
        var keys = Enumerable.Range(0, Calendars).Select(i => new CalendarKey(new ProviderId(i), new DateOnly(2030, 1, 1))).ToArray();
        foreach (var key in keys)
        {
            Assert.True(feed.LoadedLocally(key, 1, () => true));
        }

        feed.ReloadAll([]);
        await Eventually.TrueAsync(() => Volatile.Read(ref running) == Bound, "the first reads to start");
        Assert.Equal(Bound, Volatile.Read(ref most));
        Assert.Equal(0, feed.Reloads);

        gate.SetResult();
        await Eventually.TrueAsync(() => feed.Reloads == Calendars, "every calendar to be reloaded");
        Assert.Equal(Bound, Volatile.Read(ref most));
        Assert.All(keys, k => Assert.Equal(2, feed.LoadedVersion(k)));
        await stop.CancelAsync();
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
