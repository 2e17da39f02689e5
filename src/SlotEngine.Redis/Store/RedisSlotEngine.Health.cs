using System.Diagnostics;

namespace SlotEngine.Redis;

public sealed partial class RedisSlotEngine
{
    /// <summary>
    /// Sends <c>PING</c> to every primary at once (the one server when standalone) and returns how long the
    /// slowest took to answer. For health checks: a node that can ping every primary can reach every calendar.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait (the pings themselves may still be answered).</param>
    /// <returns>The round trip of the slowest primary.</returns>
    /// <exception cref="RedisConnectionException">A primary could not be reached within the command timeout.</exception>
    /// <exception cref="RedisTimeoutException">A primary did not answer within the command timeout.</exception>
    /// <exception cref="RedisServerException">A primary answered with an error (for example <c>NOAUTH</c>).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired first.</exception>
    /// <exception cref="ObjectDisposedException">The engine was disposed.</exception>
    public async ValueTask<TimeSpan> PingAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var started = Stopwatch.GetTimestamp();
        await _redis.ExecuteOnAllPrimariesAsync("PING", [], cancellationToken).ConfigureAwait(false);
        return Stopwatch.GetElapsedTime(started);
    }
}
