using System.Net;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace SlotEngine.Redis.Client;

/// <summary>Handles one pub/sub message. Must be quick and must not block.</summary>
/// <param name="message">The payload.</param>
internal delegate void RedisMessageHandler(ReadOnlyMemory<byte> message);

/// <summary>
/// The store's one door to Redis: a thin adapter over StackExchange.Redis's <see cref="IConnectionMultiplexer"/>
/// (the host's, shared and never disposed here, or one of our own), so that the store's code reads as it did and
/// every client concern (routing, MOVED/ASK, reconnects, resubscription, Sentinel, TLS, RESP3) is the client's.
/// It adds what the client does not do for us: round-trip timing by command, <c>EVALSHA</c> with the
/// <c>NOSCRIPT</c> fallback, commands to every primary, and durable links (connections of their own for writes
/// followed by the blocking <c>WAIT</c>, so no other caller queues behind a <c>WAIT</c>). Thread-safe.
/// </summary>
/// <remarks>
/// Errors are StackExchange.Redis's own: <see cref="RedisConnectionException"/> (no connection), <see cref="RedisTimeoutException"/>
/// (a <see cref="TimeoutException"/>, no reply in time; the command may have run), <see cref="RedisServerException"/> (an error reply).
/// </remarks>
internal sealed partial class StoreConnection : IAsyncDisposable
{
    private readonly bool _ownsMultiplexer;
    private readonly Link[] _durable;
    private readonly ILogger _logger;
    private int _nextDurable;
    private int _disposed;

    private StoreConnection(IConnectionMultiplexer multiplexer, bool ownsMultiplexer, Link[] durable, ILogger logger, bool mainMapsFcall, int? maxScriptsInFlight)
    {
        Gate = maxScriptsInFlight is { } limit ? new ScriptGate(limit) : null;
        Multiplexer = multiplexer;
        _ownsMultiplexer = ownsMultiplexer;
        Main = new Link(multiplexer, mainMapsFcall);
        _durable = durable;
        _logger = logger;
        multiplexer.ConnectionFailed += OnConnectionFailed;
        multiplexer.ConnectionRestored += OnConnectionRestored;
        multiplexer.HashSlotMoved += OnHashSlotMoved;
    }

    /// <summary>
    /// Raised after a connection came back (its subscriptions are renewed by the client; the argument is null:
    /// everything) or a hash slot moved (the slot): feed messages published meanwhile may be lost, so reload what
    /// they would have said.
    /// </summary>
    public event Action<int?>? ResyncNeeded;

    /// <summary>Raised when the client reports a connection lost or restored (for logging and health).</summary>
    public event Action<ConnectionFailedEventArgs, bool>? ConnectionChanged;

    /// <summary>The bound on this node's scripts in flight (null: none; <see cref="ScriptGate"/>).</summary>
    public ScriptGate? Gate { get; }

    /// <summary>Where round trips are recorded (null: nowhere).</summary>
    public RedisStoreInstruments? Instruments { get; set; }

    public IConnectionMultiplexer Multiplexer { get; }

    /// <summary>The shared multiplexer's link: every command but durable writes and their <c>WAIT</c>.</summary>
    public Link Main { get; }

    /// <summary>How many durable links there are (0: durable writes share <see cref="Main"/>).</summary>
    public int DurableLinks => _durable.Length;

    /// <summary>Whether any server is connected.</summary>
    public bool IsConnected => Multiplexer.IsConnected;

    /// <summary>
    /// Connects (or takes <paramref name="shared"/>), and opens <paramref name="durableLinks"/> connections of
    /// our own for durable writes (from <paramref name="configuration"/>, or from the shared multiplexer's
    /// configuration string when only it was given). <paramref name="maxScriptsInFlight"/> bounds the scripts this node
    /// has in flight at once (<see cref="ScriptGate"/>; null: no bound).
    /// </summary>
    public static async Task<StoreConnection> ConnectAsync(IConnectionMultiplexer? shared, ConfigurationOptions? configuration, int durableLinks, ILogger logger, int? maxScriptsInFlight = null, bool storeSockets = false)
    {
        IConnectionMultiplexer multiplexer;
        var owns = shared is null;
        var mainMapsFcall = false;
        if (shared is null)
        {
            var options = configuration!.Clone();
            options.ClientName ??= "SlotEngine";

            // The start-up checks read CONFIG (persistence); a shared multiplexer keeps the host's own choice.
            options.AllowAdmin = true;
            UseStoreSockets(options, storeSockets);
            var mapped = MapFcall(options);
            multiplexer = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
            mainMapsFcall = mapped;
        }
        else
        {
            multiplexer = shared;
        }

        var links = new Link[durableLinks];
        try
        {
            for (var i = 0; i < links.Length; i++)
            {
                var options = configuration?.Clone() ?? ConfigurationOptions.Parse(multiplexer.Configuration);
                options.ClientName = (options.ClientName ?? "SlotEngine") + "-durable" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);

                options.AbortOnConnectFail = false;
                UseStoreSockets(options, storeSockets);
                var mapped = MapFcall(options);
                links[i] = new Link(await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false), mapped);
            }
        }
        catch
        {
            foreach (var link in links)
            {
                link?.Multiplexer.Dispose();
            }

            if (owns)
            {
                await multiplexer.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }

        return new StoreConnection(multiplexer, owns, links, logger, mainMapsFcall, maxScriptsInFlight);
    }

    /// <summary>
    /// The client's name for <c>FCALL</c> on a multiplexer the store makes: StackExchange.Redis does not know <c>FCALL</c>, and
    /// after a command it does not know it cannot trust the connection's selected database, so it would send a
    /// <c>SELECT</c> before every call (measured: one per <c>FCALL</c>, 2.6 per booking). So the store sends a command the
    /// client knows and never otherwise used by the store, <c>EVALSHA_RO</c> (keyed, not database-changing), renamed to
    /// <c>FCALL</c> on the wire by the multiplexer's command map, always with <see cref="FcallFlags"/>.
    /// </summary>
    internal const string FcallAlias = "EVALSHA_RO";

    /// <summary>
    /// The flags of every <see cref="FcallAlias"/> call: the retry category the client gives <c>EVALSHA</c> (a write whose
    /// effect compounds: never replayed blindly), where the alias would have the read-only one. Routing stays the
    /// default (the primary while one is known): <see cref="CommandFlags.DemandMaster"/> kept the calls queued for a dead
    /// primary after a replica was promoted by hand (FailoverTests), where <c>EVALSHA</c> follows; and a server still a
    /// replica refuses a function without the <c>no-writes</c> flag before running it (<c>READONLY</c>), so a call never
    /// runs there.
    /// </summary>
    internal const CommandFlags FcallFlags = CommandFlags.CommandRetryWriteAccumulating;

    /// <summary>Puts the store's sockets (<see cref="SocketTunnel"/>) under a multiplexer the store makes, unless the host set a tunnel or TLS.</summary>
    private static void UseStoreSockets(ConfigurationOptions options, bool storeSockets)
    {
        if (storeSockets && options.Tunnel is null && !options.Ssl)
        {
            options.Tunnel = new SocketTunnel(TimeSpan.FromMilliseconds(options.ConnectTimeout));
        }
    }

    /// <summary>Maps <see cref="FcallAlias"/> to <c>FCALL</c> when the configuration has the default command map (a custom one is left alone: no FCALL there).</summary>
    private static bool MapFcall(ConfigurationOptions options)
    {
        if (!ReferenceEquals(options.CommandMap, CommandMap.Default))
        {
            return false;
        }

        options.CommandMap = CommandMap.Create(new Dictionary<string, string?> { [FcallAlias] = "FCALL" });
        return true;
    }

    /// <summary>
    /// Whether the deployment is a Redis Cluster, from the connected servers; null while none is connected.
    /// </summary>
    public bool? DetectCluster()
    {
        var any = false;
        foreach (var server in Multiplexer.GetServers())
        {
            if (!server.IsConnected || server.ServerType == ServerType.Sentinel)
            {
                continue;
            }

            if (server.ServerType == ServerType.Cluster)
            {
                return true;
            }

            any = true;
        }

        return any ? false : null;
    }

    /// <summary>A durable link, round robin (the main link when there are none).</summary>
    public Link NextDurable()
    {
        if (_durable.Length == 0)
        {
            return Main;
        }

        var next = (uint)Interlocked.Increment(ref _nextDurable);
        return _durable[next % (uint)_durable.Length];
    }

    /// <summary>
    /// Runs <paramref name="script"/> on the main link with <c>EVALSHA</c>, routed by the first key (all keys
    /// must share a hash slot). <c>NOSCRIPT</c> (after <c>SCRIPT FLUSH</c>, a restart or a failover) means the
    /// script did not run: it is sent once more by text, which loads it (the client's own script cache).
    /// </summary>
    public ValueTask<RedisReply> EvalShaAsync(RedisScript script, ReadOnlySpan<RedisValue> keys, ReadOnlySpan<RedisValue> args, CancellationToken cancellationToken = default) =>
        EvalShaAsync(Main, script, keys, args, cancellationToken);

    /// <summary>As <see cref="EvalShaAsync(RedisScript, ReadOnlySpan{RedisValue}, ReadOnlySpan{RedisValue}, CancellationToken)"/>, on a given link.</summary>
    public ValueTask<RedisReply> EvalShaAsync(Link link, RedisScript script, ReadOnlySpan<RedisValue> keys, ReadOnlySpan<RedisValue> args, CancellationToken cancellationToken = default)
    {
        var keyArray = new RedisKey[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            keyArray[i] = (string?)keys[i];
        }

        return EvalCoreAsync(link, script, keyArray, args.ToArray(), giveBack: false, cancellationToken);
    }

    /// <summary>As the span overload, taking <paramref name="args"/> as it is (no copy): the caller must not change it while the call runs.</summary>
    public ValueTask<RedisReply> EvalShaAsync(Link link, RedisScript script, RedisValue[] keys, RedisValue[] args, CancellationToken cancellationToken = default)
    {
        var keyArray = new RedisKey[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            keyArray[i] = (string?)keys[i];
        }

        return EvalCoreAsync(link, script, keyArray, args, giveBack: false, cancellationToken);
    }

    /// <inheritdoc cref="EvalShaAsync(Link, RedisScript, RedisValue[], RedisValue[], CancellationToken)"/>
    public ValueTask<RedisReply> EvalShaAsync(RedisScript script, RedisValue[] keys, RedisValue[] args, CancellationToken cancellationToken = default) =>
        EvalShaAsync(Main, script, keys, args, cancellationToken);

    /// <summary>As the other overloads, with the keys as the client takes them (no conversion, no copy): neither array may change while the call runs.</summary>
    public ValueTask<RedisReply> EvalShaAsync(Link link, RedisScript script, RedisKey[] keys, RedisValue[] args, CancellationToken cancellationToken = default) =>
        EvalCoreAsync(link, script, keys, args, giveBack: false, cancellationToken);

    /// <summary>
    /// As <see cref="EvalShaAsync(Link, RedisScript, RedisKey[], RedisValue[], CancellationToken)"/>; with <paramref name="giveBack"/>,
    /// <paramref name="args"/> (rented from <see cref="ScriptArguments"/>) is given back to it once the call has completed.
    /// </summary>
    public ValueTask<RedisReply> EvalShaAsync(Link link, RedisScript script, RedisKey[] keys, RedisValue[] args, bool giveBack, CancellationToken cancellationToken) =>
        EvalCoreAsync(link, script, keys, args, giveBack, cancellationToken);

    /// <inheritdoc cref="EvalShaAsync(Link, RedisScript, RedisKey[], RedisValue[], CancellationToken)"/>
    public ValueTask<RedisReply> EvalShaAsync(RedisScript script, RedisKey[] keys, RedisValue[] args, CancellationToken cancellationToken = default) =>
        EvalCoreAsync(Main, script, keys, args, giveBack: false, cancellationToken);

    /// <summary>
    /// As <see cref="EvalShaAsync(RedisScript, RedisKey[], RedisValue[], CancellationToken)"/>, past the bound on scripts in flight
    /// (<see cref="Gate"/>): for bulk reads (a calendar's load, in a warm-up or a resync of thousands) that publish nothing and
    /// are bounded by their callers (<c>ReadModelFeed.DefaultMaxReloadsInFlight</c>, the warm step's batch), and that need
    /// their pipelining.
    /// </summary>
    public ValueTask<RedisReply> EvalShaUngatedAsync(RedisScript script, RedisKey[] keys, RedisValue[] args, CancellationToken cancellationToken = default) =>
        EvalCoreAsync(Main, script, keys, args, giveBack: false, cancellationToken, gated: false);

    /// <summary><c>SET key value NX GET PX ms</c>: sets when absent; returns the value it found (null: it set it).</summary>
    public async ValueTask<RedisReply> SetIfAbsentGetAsync(string key, string value, long expiryMs, CancellationToken cancellationToken)
    {
        var started = Instruments?.StartRoundTrip() ?? 0;
        var reply = await WithCancellation(Main.Database.ExecuteAsync("SET", [(RedisKey)key, value, "NX", "GET", "PX", expiryMs]), cancellationToken).ConfigureAwait(false);
        Instruments?.RecordRoundTrip("SET", started, ServerOf(Main, key, started));
        return new RedisReply(reply);
    }

    /// <summary><c>GET key</c> on the main link.</summary>
    public async ValueTask<RedisReply> GetAsync(string key, CancellationToken cancellationToken)
    {
        var started = Instruments?.StartRoundTrip() ?? 0;
        var reply = await WithCancellation(Main.Database.ExecuteAsync("GET", [(RedisKey)key]), cancellationToken).ConfigureAwait(false);
        Instruments?.RecordRoundTrip("GET", started, ServerOf(Main, key, started));
        return new RedisReply(reply);
    }

    /// <summary><c>DEL key</c> on the main link.</summary>
    public async ValueTask DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var started = Instruments?.StartRoundTrip() ?? 0;
        await WithCancellation(Main.Database.KeyDeleteAsync(key), cancellationToken).ConfigureAwait(false);
        Instruments?.RecordRoundTrip("DEL", started, ServerOf(Main, key, started));
    }

    /// <summary>
    /// A small write beside <paramref name="routingKey"/> (<c>SET &lt;routingKey&gt;:sync 1 PX 60000</c>, same hash slot) on
    /// <paramref name="link"/>, so that a <c>WAIT</c> after it on the same link covers everything written to that
    /// primary before it (replication is one ordered stream): for a retry that found its earlier result, or a
    /// confirm of what was booked already, where the script itself wrote nothing.
    /// </summary>
    public async ValueTask TouchAsync(Link link, RedisKey routingKey, CancellationToken cancellationToken)
    {
        var started = Instruments?.StartRoundTrip() ?? 0;
        await WithCancellation(link.Database.ExecuteAsync("SET", [routingKey.Append(":sync"), "1", "PX", 60_000]), cancellationToken).ConfigureAwait(false);
        Instruments?.RecordRoundTrip("SET", started, ServerOf(link, routingKey, started));
    }

    /// <summary>
    /// <c>WAIT replicas timeout</c> on <paramref name="link"/>'s connection to the primary of <paramref name="routingKey"/>'s
    /// slot: blocks that connection (and only it) until the writes sent on it reached that many replicas.
    /// </summary>
    /// <returns>How many replicas acknowledged.</returns>
    public async ValueTask<int> WaitForReplicasAsync(Link link, RedisKey routingKey, int replicas, long timeoutMs, CancellationToken cancellationToken)
    {
        var server = link.Multiplexer.GetServer(routingKey);
        var started = Instruments?.StartRoundTrip() ?? 0;
        var reply = await WithCancellation(server.ExecuteAsync("WAIT", [replicas, timeoutMs], CommandFlags.DemandMaster), cancellationToken).ConfigureAwait(false);
        Instruments?.RecordRoundTrip("WAIT", started, server.EndPoint);
        return (int)(long)reply;
    }

    /// <summary>
    /// Runs <c>command args…</c> once on every primary (e.g. <c>PING</c>, <c>CONFIG GET</c>, <c>SCRIPT LOAD</c>): every
    /// known primary in a cluster, the connected primary otherwise (after a Sentinel failover the client may still
    /// list the old one). Throws <see cref="RedisConnectionException"/> when none is connected.
    /// </summary>
    public async ValueTask<RedisReply[]> ExecuteOnAllPrimariesAsync(string command, object[] args, CancellationToken cancellationToken = default)
    {
        var primaries = Primaries();
        if (primaries.Count == 0)
        {
            throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, CommandFlags.None, "No Redis primary is connected.", null, CommandStatus.Unknown);
        }

        var started = Instruments?.StartRoundTrip() ?? 0;
        var tasks = new Task<RedisResult>[primaries.Count];
        for (var i = 0; i < tasks.Length; i++)
        {
            tasks[i] = primaries[i].ExecuteAsync(command, args, CommandFlags.DemandMaster);
        }

        var results = await WithCancellation(Task.WhenAll(tasks), cancellationToken).ConfigureAwait(false);
        Instruments?.RecordRoundTrip(command.ToUpperInvariant(), started);
        var replies = new RedisReply[results.Length];
        for (var i = 0; i < results.Length; i++)
        {
            replies[i] = new RedisReply(results[i]);
        }

        return replies;
    }

    /// <summary>The primaries to address: in a cluster, all not known as replicas; standalone or Sentinel, the connected ones.</summary>
    public List<IServer> Primaries()
    {
        var servers = Multiplexer.GetServers();
        var cluster = servers.Any(s => s.IsConnected && s.ServerType == ServerType.Cluster);
        return servers.Where(s => !s.IsReplica && s.ServerType != ServerType.Sentinel && (cluster ? s.ServerType == ServerType.Cluster || !s.IsConnected : s.IsConnected)).ToList();
    }

    /// <summary>
    /// Subscribes to a channel: <c>SSUBSCRIBE</c> when <paramref name="sharded"/> (a cluster), <c>SUBSCRIBE</c> otherwise. The client
    /// renews it after reconnects and slot moves. Messages reach <paramref name="handler"/> one at a time, in the order Redis sent
    /// them (a <see cref="ChannelMessageQueue"/>; the callback overload may run handlers concurrently): the read model applies deltas
    /// by version and would otherwise see gaps that are not there.
    /// </summary>
    public async Task SubscribeAsync(string channel, bool sharded, RedisMessageHandler handler, CancellationToken cancellationToken = default)
    {
        var name = sharded ? RedisChannel.Sharded(channel) : RedisChannel.Literal(channel);
        var queue = await WithCancellation(Multiplexer.GetSubscriber().SubscribeAsync(name), cancellationToken).ConfigureAwait(false);
        queue.OnMessage(message => handler(message.Message));
    }

    /// <summary>Ends a subscription.</summary>
    public Task UnsubscribeAsync(string channel, bool sharded) =>
        Multiplexer.GetSubscriber().UnsubscribeAsync(sharded ? RedisChannel.Sharded(channel) : RedisChannel.Literal(channel));

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Multiplexer.ConnectionFailed -= OnConnectionFailed;
        Multiplexer.ConnectionRestored -= OnConnectionRestored;
        Multiplexer.HashSlotMoved -= OnHashSlotMoved;
        foreach (var link in _durable)
        {
            await link.Multiplexer.DisposeAsync().ConfigureAwait(false);
        }

        if (_ownsMultiplexer)
        {
            await Multiplexer.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static Task<T> WithCancellation<T>(Task<T> task, CancellationToken cancellationToken) =>
        cancellationToken.CanBeCanceled ? task.WaitAsync(cancellationToken) : task;

    private static Task WithCancellation(Task task, CancellationToken cancellationToken) =>
        cancellationToken.CanBeCanceled ? task.WaitAsync(cancellationToken) : task;

    /// <summary>The server a key's commands go to, for the round-trip tags; only looked up while someone listens (<paramref name="started"/> not 0).</summary>
    private static EndPoint? ServerOf(Link link, RedisKey key, long started) =>
        started == 0 ? null : link.Multiplexer.GetServer(key).EndPoint;

    /// <summary>How many times a script is sent by text after a NOSCRIPT before the NOSCRIPT is the answer.</summary>
    private const int MaxScriptLoads = 4;

    private static bool IsNoScript(RedisServerException e) => e.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal);

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<RedisReply> EvalCoreAsync(Link link, RedisScript script, RedisKey[] keys, RedisValue[] args, bool giveBack, CancellationToken cancellationToken, bool gated = true)
    {
        var gate = gated ? Gate : null;
        if (gate is not null)
        {
            await gate.EnterAsync().ConfigureAwait(false);
        }

        var started = Instruments?.StartRoundTrip() ?? 0;
        RedisResult result;
        try
        {
            result = await WithCancellation(link.Database.ScriptEvaluateAsync(script.Sha1, keys, args), cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (IsNoScript(e))
        {
            // The script did not run. By text: the client loads it (SCRIPT LOAD) and runs it by SHA-1. A SCRIPT FLUSH
            // can land between that load and that run (NOSCRIPT again, and again the script did not run), so try a
            // bounded number of times; a server that keeps flushing gets the last NOSCRIPT.
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    result = await WithCancellation(link.Database.ScriptEvaluateAsync(script.Text, keys, args), cancellationToken).ConfigureAwait(false);
                    break;
                }
                catch (RedisServerException again) when (IsNoScript(again) && attempt < MaxScriptLoads)
                {
                }
            }
        }
        finally
        {
            gate?.Exit();
        }

        Instruments?.RecordRoundTrip("EVALSHA", started, keys.Length == 0 ? null : ServerOf(link, keys[0], started));
        if (giveBack)
        {
            // Completed: the client wrote the arguments and read the reply, and never reads them again. (A failure above
            // skips this: the call may still be queued in the client.)
            ScriptArguments.Return(args);
        }

        return new RedisReply(result);
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        ConnectionChanged?.Invoke(e, false);
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        ConnectionChanged?.Invoke(e, true);
        ResyncNeeded?.Invoke(null);
    }

    private void OnHashSlotMoved(object? sender, HashSlotMovedEventArgs e)
    {
        StoreLog.HashSlotMoved(_logger, e.HashSlot, Format(e.OldEndPoint), Format(e.NewEndPoint));
        ResyncNeeded?.Invoke(e.HashSlot);
    }

    internal static string Format(EndPoint? endPoint) => endPoint switch
    {
        null => "?",
        DnsEndPoint dns => dns.Host + ":" + dns.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => endPoint.ToString() ?? "?",
    };

    /// <summary>One multiplexer and its database: the shared link, or a durable link of our own.</summary>
    internal sealed class Link
    {
        public Link(IConnectionMultiplexer multiplexer, bool mapsFcall = false)
        {
            Multiplexer = multiplexer;
            Database = multiplexer.GetDatabase();
            MapsFcall = mapsFcall;
        }

        /// <summary>Whether the multiplexer sends <see cref="FcallAlias"/> as <c>FCALL</c> (the store made it: <c>MapFcall</c>).</summary>
        public bool MapsFcall { get; }

        public IConnectionMultiplexer Multiplexer { get; }

        public IDatabase Database { get; }
    }
}
