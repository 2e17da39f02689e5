using System.Net;

namespace SlotEngine.Redis.Transport;

/// <summary>
/// The lasting connection to one Redis endpoint: holds the current <see cref="RedisLink"/>, replaces it
/// with backoff when it fails, and fails overdue commands.
/// </summary>
/// <remarks>
/// <para><b>State.</b> <see cref="_link"/> is the live link or null while reconnecting; <see cref="_linkReady"/>
/// is a task that completes with the next live link. On failure the owner first swaps in a fresh, pending
/// <see cref="_linkReady"/> and then clears <see cref="_link"/>, so a sender that finds no link always
/// finds a task that the reconnect loop will complete. Both fields are read with <see cref="Volatile"/>
/// and only the reconnect loop (one at a time, guarded by <see cref="_reconnecting"/>) writes them.</para>
/// <para><b>Sending while disconnected.</b> A command sent while there is no link waits, within its own
/// timeout, for the next link and is then sent once. A command already sent when a link fails fails
/// with <see cref="RedisConnectionException"/> and is not resent.</para>
/// </remarks>
internal sealed partial class EndpointConnection : IAsyncDisposable
{
    private readonly RedisConnectionOptions _options;
    private readonly TimeProvider _time;
    private readonly Func<RedisReply, bool>? _tryHandlePush;
    private readonly CancellationTokenSource _disposal = new();
    private readonly ITimer _timeoutScan;
    private readonly long _commandTimeoutTicks;

    private RedisLink? _link;
    private TaskCompletionSource<RedisLink> _linkReady = NewLinkReady();

    /// <summary>1 while a reconnect loop runs; set 0 → 1 by CAS so only one loop runs.</summary>
    private int _reconnecting;

    /// <summary>0 until disposed, then 1.</summary>
    private int _disposed;
    private Exception? _lastError;

    public EndpointConnection(DnsEndPoint endpoint, RedisConnectionOptions options, TimeProvider time, Func<RedisReply, bool>? tryHandlePush = null)
    {
        Endpoint = endpoint;
        Name = RedisLink.NameOf(endpoint);
        _options = options;
        _time = time;
        _tryHandlePush = tryHandlePush;
        _commandTimeoutTicks = (long)(options.CommandTimeout.TotalSeconds * time.TimestampFrequency);
        var period = TimeSpan.FromTicks(Math.Clamp(options.CommandTimeout.Ticks / 4, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerSecond));
        _timeoutScan = time.CreateTimer(static state => ((EndpointConnection)state!).FailOverdue(), this, period, period);
    }

    public DnsEndPoint Endpoint { get; }

    /// <summary>host:port.</summary>
    public string Name { get; }

    /// <summary>Runs on each new link before it is used (after AUTH): e.g. resubscribing. A throw fails the attempt.</summary>
    public Func<RedisLink, CancellationToken, Task>? OnLinkOpening { get; set; }

    /// <summary>Called after a link replaced a failed one (not after the first connect).</summary>
    public Action<EndpointConnection>? Reconnected { get; set; }

    public bool IsConnected => Volatile.Read(ref _link) is { IsAlive: true };

    /// <summary>How many reconnects have succeeded (for tests and diagnostics).</summary>
    public int ReconnectCount => Volatile.Read(ref _reconnectCount);

    private int _reconnectCount;

    /// <summary>Opens the first link now and throws if that fails.</summary>
    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        var link = await OpenLinkAsync(cancellationToken).ConfigureAwait(false);
        Publish(link, isReconnect: false);
    }

    /// <summary>Opens the first link in the background, retrying with backoff; commands wait for it.</summary>
    public void StartConnecting()
    {
        if (Interlocked.CompareExchange(ref _reconnecting, 1, 0) == 0)
        {
            _ = ReconnectLoopAsync(isReconnect: false);
        }
    }

    /// <summary>Sends a command on the current link, or on the next one if the connection is being reopened.</summary>
    public ValueTask<RedisReply> SendAsync(in RedisCommand command, CancellationToken cancellationToken, bool asking = false)
    {
        var deadline = _time.GetTimestamp() + _commandTimeoutTicks;
        var link = Volatile.Read(ref _link);
        if (link is not null && link.IsAlive)
        {
            return link.SendAsync(command, deadline, cancellationToken, asking);
        }

        return SendWhenConnectedAsync(command, deadline, cancellationToken, asking);
    }

    private async ValueTask<RedisReply> SendWhenConnectedAsync(RedisCommand command, long deadline, CancellationToken cancellationToken, bool asking)
    {
        while (true)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            var link = Volatile.Read(ref _link);
            if (link is not null && link.IsAlive)
            {
                return await link.SendAsync(command, deadline, cancellationToken, asking).ConfigureAwait(false);
            }

            var remaining = _time.GetElapsedTime(_time.GetTimestamp(), deadline);
            if (remaining <= TimeSpan.Zero)
            {
                throw new RedisConnectionException(
                    $"No connection to {Name} within the command timeout of {_options.CommandTimeout.TotalMilliseconds} ms; {command.Name} was not sent. " +
                    $"Last error: {Volatile.Read(ref _lastError)?.Message ?? "none"}",
                    Volatile.Read(ref _lastError));
            }

            try
            {
                await Volatile.Read(ref _linkReady).Task.WaitAsync(remaining, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Loop once more: the deadline check above reports it.
            }
        }
    }

    private void FailOverdue()
    {
        Volatile.Read(ref _link)?.FailOverdue(_time.GetTimestamp(), _options.CommandTimeout);
    }

    /// <summary>Cuts the current link as if the network had failed (for tests and for a stuck server).</summary>
    public void Disconnect(Exception? cause = null) =>
        Volatile.Read(ref _link)?.Fail(cause ?? new RedisConnectionException($"The connection to {Name} was closed on purpose."));

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _disposal.CancelAsync().ConfigureAwait(false);
        await _timeoutScan.DisposeAsync().ConfigureAwait(false);
        Volatile.Read(ref _link)?.Fail(new ObjectDisposedException(nameof(RedisConnection), $"The connection to {Name} was disposed."));
        Volatile.Read(ref _linkReady).TrySetException(new ObjectDisposedException(nameof(RedisConnection), $"The connection to {Name} was disposed."));
        _disposal.Dispose();
    }

    private static TaskCompletionSource<RedisLink> NewLinkReady() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
