using StackExchange.Redis;
namespace SlotEngine.TestSupport;

/// <summary>Polls a condition until it holds; fails with <paramref name="what"/> if it does not within the bound.</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultBound = TimeSpan.FromSeconds(30);

    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? bound = null)
    {
        var deadline = TimeProvider.System.GetTimestamp() + (long)((bound ?? DefaultBound).TotalSeconds * TimeProvider.System.TimestampFrequency);
        Exception? last = null;
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception e) when (e is RedisException or TimeoutException or IOException or InvalidOperationException or System.Net.Sockets.SocketException)
            {
                last = e;
            }

            if (TimeProvider.System.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"Gave up waiting for: {what}. Last error: {last?.Message ?? "none"}", last);
            }

            await Task.Delay(20); // the polling interval, not a wait for the condition
        }
    }

    public static Task TrueAsync(Func<bool> condition, string what, TimeSpan? bound = null) =>
        TrueAsync(() => Task.FromResult(condition()), what, bound);
}
