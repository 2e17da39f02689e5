namespace SlotEngine.Redis.Tests.Store;

/// <summary>
/// Two of a node's own writes on one calendar whose replies are read in the opposite order of their versions (one
/// worker's hold and another's confirm, on two connections): the later one is held and laid in right after the
/// earlier, so queries stop waiting at once (no wait for the echo, no reload).
/// </summary>
public sealed class ReadModelFeedOrderTests
{
    private static readonly CalendarKey Calendar = new(new ProviderId(1), new DateOnly(2030, 1, 1));

    [Fact]
    public async Task Own_writes_read_out_of_order_are_laid_in_in_order_and_nothing_stays_pending()
    {
        using var stop = new CancellationTokenSource();
        var feed = new ReadModelFeed((_, _) => Task.FromResult(3L), stop.Token, warning: null);
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
        await stop.CancelAsync();
    }

    [Fact]
    public void A_held_change_the_read_model_refuses_stays_pending_for_its_echo_or_a_reload()
    {
        using var stop = new CancellationTokenSource();
        var feed = new ReadModelFeed(
            async (_, cancellationToken) =>
            {
                await Task.Delay(Timeout.Infinite, cancellationToken); // a reload, if one starts, until the test ends
                return 0L;
            },
            stop.Token,
            warning: null);
        Assert.True(feed.LoadedLocally(Calendar, 1, () => true));

        feed.BeginOwnWrite(Calendar);
        feed.BeginOwnWrite(Calendar);
        feed.EndOwnWrite(Calendar, 3, () => false);
        feed.EndOwnWrite(Calendar, 2, () => true);
        Assert.Equal(2, feed.LoadedVersion(Calendar));
        Assert.Equal(1, feed.OwnPending);
        stop.Cancel();
    }
}
