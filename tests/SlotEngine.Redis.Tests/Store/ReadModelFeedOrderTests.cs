using Microsoft.Extensions.Time.Testing;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>
/// Two of a node's own writes on one calendar whose replies are read in the opposite order of their versions (one
/// worker's hold and another's confirm, on two connections): the later one is held and laid in right after the
/// earlier, so queries stop waiting at once (no wait for the echo, no reload). The grace before a held change reloads
/// is driven by a fake clock: a real 50 ms timer fired whenever the test's thread was paused that long (a loaded
/// machine), and reloaded before the second reply was read.
/// </summary>
public sealed class ReadModelFeedOrderTests
{
    private static readonly CalendarKey Calendar = new(new ProviderId(1), new DateOnly(2030, 1, 1));

    /// <summary>Well past the feed's grace for an own write's echo (50 ms).</summary>
    private static readonly TimeSpan PastGrace = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Own_writes_read_out_of_order_are_laid_in_in_order_and_nothing_stays_pending()
    {
        using var stop = new CancellationTokenSource();
        var grace = new FakeTimeProvider();
        var loads = 0;
        var feed = new ReadModelFeed(
            (_, _) =>
            {
                Interlocked.Increment(ref loads);
                return Task.FromResult(3L);
            },
            stop.Token,
            warning: null,
            graceClock: grace);
        Assert.True(feed.LoadedLocally(Calendar, 1, () => true));
        var laid = new List<long>();

        feed.BeginOwnWrite(Calendar);
        feed.BeginOwnWrite(Calendar);
        feed.EndOwnWrite(Calendar, 3, () =>
        {
            laid.Add(3);
            return true;
        });
        Assert.Equal(1, feed.LoadedVersion(Calendar)); // version 2 is not in yet: held
        Assert.Equal(1, feed.OwnPending);
        Assert.Empty(laid);

        feed.EndOwnWrite(Calendar, 2, () =>
        {
            laid.Add(2);
            return true;
        });
        Assert.Equal([2, 3], laid);
        Assert.Equal(3, feed.LoadedVersion(Calendar));
        Assert.Equal(0, feed.OwnPending);
        Assert.True(feed.WhenOwnFreshAsync(TimeSpan.FromSeconds(5)).IsCompleted); // a query does not wait

        // The grace armed when version 3 was held passes: nothing is left to reload (the timer starts a reload on its
        // own thread, here the one advancing the clock, so one started would be running now).
        grace.Advance(PastGrace);
        var state = feed.StateOf(Calendar);
        lock (state)
        {
            Assert.Null(state.Running);
            Assert.False(state.Deferred);
        }

        Assert.Equal(0, Volatile.Read(ref loads));
        Assert.Equal(3, feed.LoadedVersion(Calendar));
        Assert.Equal(0, feed.OwnPending);
        await stop.CancelAsync();
    }

    [Fact]
    public async Task A_held_change_the_read_model_refuses_stays_pending_for_its_echo_or_a_reload()
    {
        using var stop = new CancellationTokenSource();
        var grace = new FakeTimeProvider();
        var feed = new ReadModelFeed(
            async (_, cancellationToken) =>
            {
                await Task.Delay(Timeout.Infinite, cancellationToken); // a reload, once it starts, until the test ends
                return 0L;
            },
            stop.Token,
            warning: null,
            graceClock: grace);
        Assert.True(feed.LoadedLocally(Calendar, 1, () => true));

        feed.BeginOwnWrite(Calendar);
        feed.BeginOwnWrite(Calendar);
        feed.EndOwnWrite(Calendar, 3, () => false);
        feed.EndOwnWrite(Calendar, 2, () => true);
        Assert.Equal(2, feed.LoadedVersion(Calendar));
        Assert.Equal(1, feed.OwnPending);

        // Both writes are in and the held one was refused: the calendar reloads at once (no grace to wait for: the fake
        // grace clock never moves here), and the change stays pending until it is in.
        await Eventually.TrueAsync(() => feed.ReloadsOf(Calendar) == 1, "the refused change's calendar to reload");
        Assert.Equal(2, feed.LoadedVersion(Calendar));
        Assert.Equal(1, feed.OwnPending);

        // The grace passing later starts no second reload while that one runs (the timer runs on the thread advancing
        // the clock: a reload it started would be the calendar's running one now).
        var state = feed.StateOf(Calendar);
        Task<long>? running;
        lock (state)
        {
            running = state.Running;
        }

        Assert.NotNull(running);
        grace.Advance(PastGrace);
        lock (state)
        {
            Assert.Same(running, state.Running);
        }

        Assert.Equal(1, feed.ReloadsOf(Calendar));
        Assert.Equal(1, feed.OwnPending);
        await stop.CancelAsync();
    }
}
