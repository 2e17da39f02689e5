using System.Collections.Concurrent;
using System.Net;
using System.Runtime.CompilerServices;
using SlotEngine.Redis.Transport.Cluster;
using SlotEngine.Redis.Transport.PubSub;

namespace SlotEngine.Redis.Transport;

/// <summary>
/// The one entry point the store uses: a multiplexed connection to a standalone Redis or to a Redis
/// Cluster, decided at connect time from <c>INFO cluster</c>. Thread-safe; create one per process and
/// share it.
/// </summary>
/// <remarks>
/// <para>Standalone: one <see cref="EndpointConnection"/> to the primary among the seeds (found with
/// <c>ROLE</c>). Cluster: one per primary, chosen per command by the key's hash slot, with
/// <c>MOVED</c>/<c>ASK</c> followed (see <c>RedisConnection.Cluster.cs</c>).</para>
/// <para>Allocation per command: the encoded command uses a pooled buffer, the reply awaitable is a
/// pooled <see cref="PendingReply"/>, and the async routing method uses a pooling builder; what remains
/// is the reply itself (byte arrays for bulk strings).</para>
/// </remarks>
internal sealed partial class RedisConnection : IRedisTransport
{
    private readonly RedisConnectionOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _nodesLock = new();
    private readonly Dictionary<string, EndpointConnection> _nodes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SubscriberConnection> _subscribers = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _disposal = new();
    private EndpointConnection? _standalone;

    /// <summary>0 until disposed, then 1.</summary>
    private int _disposed;

    private RedisConnection(RedisConnectionOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
    }

    /// <inheritdoc/>
    public event Action<DnsEndPoint>? SubscriptionsRestored;

    /// <summary>Raised when a pub/sub handler throws; the exception is otherwise contained.</summary>
    public event Action<Exception>? HandlerFailed;

    /// <inheritdoc/>
    public bool IsCluster { get; private set; }

    public RedisConnectionOptions Options => _options;

    /// <summary>Where round trips are recorded; null (the default) records nothing. Set once, right after connecting.</summary>
    public RedisStoreInstruments? Instruments { get; set; }

    /// <summary>Connects to the deployment the options describe.</summary>
    /// <exception cref="RedisConnectionException">No seed could be reached (each seed's error is in the message), or AUTH failed.</exception>
    public static ValueTask<RedisConnection> ConnectAsync(RedisConnectionOptions options, CancellationToken cancellationToken = default) =>
        ConnectAsync(options, TimeProvider.System, cancellationToken);

    /// <inheritdoc cref="ConnectAsync(RedisConnectionOptions, CancellationToken)"/>
    public static async ValueTask<RedisConnection> ConnectAsync(RedisConnectionOptions options, TimeProvider time, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        options.Validate();
        var connection = new RedisConnection(options.Clone(), time);
        try
        {
            await connection.InitializeAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Parses a connection string and connects.</summary>
    public static ValueTask<RedisConnection> ConnectAsync(string connectionString, CancellationToken cancellationToken = default) =>
        ConnectAsync(RedisConnectionOptions.Parse(connectionString), cancellationToken);

    private async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var errors = new List<Exception>();
        EndpointConnection? fallback = null;
        foreach (var endpoint in _options.Endpoints)
        {
            var candidate = new EndpointConnection(endpoint, _options, _time);
            try
            {
                await candidate.ConnectAsync(cancellationToken).ConfigureAwait(false);
                var info = (await SendAsync(candidate, "INFO", "cluster").ConfigureAwait(false)).AsString() ?? string.Empty;
                if (info.Contains("cluster_enabled:1", StringComparison.Ordinal))
                {
                    IsCluster = true;
                    lock (_nodesLock)
                    {
                        _nodes[candidate.Name] = candidate;
                    }

                    await RefreshTopologyAsync(throwOnFailure: true).ConfigureAwait(false);
                    if (fallback is not null)
                    {
                        await fallback.DisposeAsync().ConfigureAwait(false);
                    }

                    return;
                }

                var role = await SendAsync(candidate, "ROLE").ConfigureAwait(false);
                if (role.Count > 0 && role[0].AsString() == "master")
                {
                    _standalone = candidate;
                    if (fallback is not null)
                    {
                        await fallback.DisposeAsync().ConfigureAwait(false);
                    }

                    return;
                }

                if (fallback is null)
                {
                    fallback = candidate;
                }
                else
                {
                    await candidate.DisposeAsync().ConfigureAwait(false);
                }
            }
            catch (RedisException e)
            {
                errors.Add(e);
                await candidate.DisposeAsync().ConfigureAwait(false);
            }
        }

        if (fallback is not null)
        {
            _standalone = fallback; // only replicas answered: use one (writes will fail with READONLY)
            return;
        }

        throw new RedisConnectionException(
            $"Could not connect to Redis at {string.Join(", ", _options.Endpoints.Select(RedisLink.NameOf))}: " +
            string.Join("; ", errors.Select(e => e.Message)),
            errors.Count == 1 ? errors[0] : new AggregateException(errors));
    }

    /// <summary>Runs <c>command args…</c>, routed by <paramref name="routingKey"/>; an error reply throws <see cref="RedisServerException"/>.</summary>
    public ValueTask<RedisReply> ExecuteAsync(string? routingKey, string command, params ReadOnlySpan<RedisArgument> args) =>
        ExecuteAsync(routingKey, command, args, CancellationToken.None);

    /// <inheritdoc/>
    public ValueTask<RedisReply> ExecuteAsync(string? routingKey, string command, ReadOnlySpan<RedisArgument> args, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        var slot = routingKey is null ? -1 : HashSlot.Of(routingKey);
        return SendOwnedAsync(RedisCommand.Create(command, args, args.Length), slot, cancellationToken);
    }

    /// <summary>Runs a command on the node that owns <paramref name="slot"/> (-1: any node).</summary>
    public ValueTask<RedisReply> ExecuteOnSlotAsync(int slot, string command, ReadOnlySpan<RedisArgument> args, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slot, -1);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, HashSlot.Count);
        return SendOwnedAsync(RedisCommand.Create(command, args, args.Length), slot, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<RedisReply[]> ExecuteOnAllPrimariesAsync(string command, ReadOnlySpan<RedisArgument> args, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        return SendToAllPrimariesAsync(RedisCommand.Create(command, args, args.Length), cancellationToken);
    }

    private async ValueTask<RedisReply[]> SendToAllPrimariesAsync(RedisCommand command, CancellationToken cancellationToken)
    {
        using var owned = command;
        var started = Instruments?.StartRoundTrip() ?? 0;
        var targets = _standalone is { } single ? [single] : CurrentRoute.Connections;
        var sends = new Task<RedisReply>[targets.Length];
        for (var i = 0; i < targets.Length; i++)
        {
            sends[i] = targets[i].SendAsync(command, cancellationToken).AsTask();
        }

        var replies = await Task.WhenAll(sends).ConfigureAwait(false);
        Instruments?.RecordRoundTrip(command.Name, started);
        for (var i = 0; i < replies.Length; i++)
        {
            if (replies[i].IsError)
            {
                throw new RedisServerException($"{targets[i].Name}: {replies[i].ErrorMessage}");
            }
        }

        return replies;
    }

    /// <summary>Cuts every data connection as if the network had failed (tests use this to inject faults).</summary>
    internal void DisconnectAll()
    {
        foreach (var connection in AllConnections())
        {
            connection.Disconnect();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _disposal.CancelAsync().ConfigureAwait(false);
        foreach (var connection in AllConnections())
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var subscriber in _subscribers.Values)
        {
            await subscriber.DisposeAsync().ConfigureAwait(false);
        }

        _disposal.Dispose();
    }

    private List<EndpointConnection> AllConnections()
    {
        var all = new List<EndpointConnection>();
        if (_standalone is not null)
        {
            all.Add(_standalone);
        }

        lock (_nodesLock)
        {
            all.AddRange(_nodes.Values);
        }

        return all;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<RedisReply> SendOwnedAsync(RedisCommand command, int slot, CancellationToken cancellationToken)
    {
        try
        {
            var started = Instruments?.StartRoundTrip() ?? 0;
            var reply = await SendRoutedAsync(command, slot, cancellationToken).ConfigureAwait(false);
            Instruments?.RecordRoundTrip(command.Name, started);
            return reply.ThrowIfError();
        }
        finally
        {
            command.Dispose();
        }
    }

    private static async Task<RedisReply> SendAsync(EndpointConnection connection, string command, params RedisArgument[] args)
    {
        using var encoded = RedisCommand.Create(command, args);
        return (await connection.SendAsync(encoded, CancellationToken.None).ConfigureAwait(false)).ThrowIfError();
    }
}
