using System.Diagnostics;
using StackExchange.Redis;

namespace SlotEngine.Redis;

public sealed partial class RedisSlotEngine
{
    /// <summary>
    /// Sends <c>PING</c> to every primary at once (the one server when standalone) and returns how long the
    /// slowest took to answer. For health checks: a node that can ping every primary can reach every calendar.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait (the pings themselves may still be answered).</param>
    /// <returns>The round trip of the slowest primary.</returns>
    /// <exception cref="RedisConnectionException">No primary is connected, or one could not be reached.</exception>
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

    /// <summary>
    /// The store's health for a health check: <see cref="RedisSlotEngineHealthStatus.Unhealthy"/> when a primary cannot be
    /// pinged or the store has not reached Redis yet (<c>abortConnect=false</c>); <see cref="RedisSlotEngineHealthStatus.Degraded"/>
    /// when a primary has fewer connected replicas than <see cref="RedisSlotEngineOptions.WaitForReplicas"/> (bookings
    /// then fail with <see cref="ReplicationTimeoutException"/>) or the persistence check found a risk; healthy otherwise.
    /// Never throws for Redis being away: that is what it reports.
    /// </summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>The status, a description and the slowest primary's round trip.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired first.</exception>
    /// <exception cref="ObjectDisposedException">The engine was disposed.</exception>
    public async ValueTask<RedisSlotEngineHealth> CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        TimeSpan roundTrip;
        try
        {
            roundTrip = await PingAsync(cancellationToken).ConfigureAwait(false);
            if (!await TryFinishStartAsync(refuseOnRisk: false, cancellationToken).ConfigureAwait(false))
            {
                return new RedisSlotEngineHealth(RedisSlotEngineHealthStatus.Unhealthy, "The store has not reached Redis yet.", null, null);
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return new RedisSlotEngineHealth(RedisSlotEngineHealthStatus.Unhealthy, "Redis is not reachable: " + e.Message, null, e);
        }

        if (_options.WaitForReplicas > 0)
        {
            foreach (var (server, replicas) in await ConnectedReplicasAsync(cancellationToken).ConfigureAwait(false))
            {
                if (replicas >= 0 && replicas < _options.WaitForReplicas)
                {
                    return new RedisSlotEngineHealth(
                        RedisSlotEngineHealthStatus.Degraded,
                        $"Primary {server} has {replicas} connected replicas; WaitForReplicas is {_options.WaitForReplicas}, so bookings fail until more connect.",
                        roundTrip,
                        null);
                }
            }
        }

        if (PersistenceWarnings.Count > 0)
        {
            return new RedisSlotEngineHealth(RedisSlotEngineHealthStatus.Degraded, string.Join(" ", PersistenceWarnings), roundTrip, null);
        }

        return new RedisSlotEngineHealth(RedisSlotEngineHealthStatus.Healthy, "Every primary answers.", roundTrip, null);
    }
}

/// <summary>How a <see cref="RedisSlotEngine"/> stands (maps one to one onto ASP.NET Core's <c>HealthStatus</c>).</summary>
public enum RedisSlotEngineHealthStatus
{
    /// <summary>Redis is not reachable, or the store has not reached it yet.</summary>
    Unhealthy = 0,

    /// <summary>Working, with a risk: fewer replicas than required, or persistence off.</summary>
    Degraded = 1,

    /// <summary>Every primary answers, with enough replicas.</summary>
    Healthy = 2,
}

/// <summary>The result of <see cref="RedisSlotEngine.CheckHealthAsync"/>.</summary>
/// <param name="Status">How the store stands.</param>
/// <param name="Description">Why, in a sentence (names servers and counts, nothing about patients).</param>
/// <param name="RoundTrip">The slowest primary's ping, when every primary answered.</param>
/// <param name="Exception">What failed, when unhealthy because of an error.</param>
public sealed record RedisSlotEngineHealth(RedisSlotEngineHealthStatus Status, string Description, TimeSpan? RoundTrip, Exception? Exception);
