using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SlotEngine.Redis.Client;
using SlotEngine.Stores;
using StackExchange.Redis;

namespace SlotEngine.Redis;

/// <summary>
/// The slot engine with Redis (or Redis Cluster) as the one source of truth shared by many nodes.
/// Every transition (publish, hold, book, confirm, release, cancel, block, reopen, withdraw) is one
/// Lua script on the calendar's hash tag, judged by Redis's own clock; every query is answered from
/// this node's local read model (the in-memory engine's calendars), which a change feed keeps fresh.
/// Same contract and results as <see cref="InMemorySlotEngine"/>. Thread-safe; create one per process
/// with <see cref="ConnectAsync"/> and share it.
/// </summary>
/// <remarks>
/// <para><b>Read model.</b> Each script bumps its calendar's version and publishes
/// <c>&lt;provider&gt;:&lt;yyyymmdd&gt;|&lt;version&gt;|t&lt;Redis TIME in ms&gt;</c> (PUBLISH on a standalone server, SPUBLISH to the
/// calendar's shard channel in a cluster). A node reloads a calendar whole (one script: the meta hash,
/// one GET of the bitmap, the claims hash) when it sees a version newer than the one it holds, coalescing
/// bursts into one reload; after a pub/sub reconnect it reloads every calendar it holds. Queries first
/// wait (briefly, bounded) for reloads already under way, so a node reads its own writes.</para>
/// <para><b>Which calendars a node holds.</b> Those of registered providers (see <see cref="Directory"/>)
/// that it published, claimed on, was told about by the feed (standalone: every change reaches every
/// node), or asked for with <see cref="WatchAsync"/> (needed in a cluster, where a node only hears the
/// shard channels of calendars it already holds).</para>
/// </remarks>
public sealed partial class RedisSlotEngine : ISlotEngine, IAsyncDisposable
{
    private static readonly TimeSpan FreshnessBound = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan StartRetry = TimeSpan.FromMilliseconds(250);
    private readonly StoreConnection _redis;
    private readonly ReadModel _readModel;
    private readonly InMemorySlotEngine _localEngine;
    private readonly StoreKeys _keys;
    private readonly RedisSlotEngineOptions _options;
    private readonly ReadModelFeed _feed;
    private readonly FeedPublished _published = new();
    private readonly long _retentionMs;
    private readonly TimeSpan _loadBound;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _disposal = new();
    /// <summary>In a cluster, the hash slots' feed channels followed (or being subscribed to), each with its subscription.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Task> _shardSubscriptions = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _startGate = new(1, 1);
    private IReadOnlyList<string> _persistenceWarnings = [];
    private Task? _sweeper;
    private Task? _versionCheck;
    private int _started;
    private int _disposed;

    private RedisSlotEngine(RedisSlotEngineOptions options, StoreConnection redis, ILogger logger)
    {
        _options = options;
        _logger = logger;
        _loadBound = options.LoadBound(redis.Multiplexer);
        _redis = redis;
        _readModel = new ReadModel(options.Engine);
        _localEngine = _readModel.Engine;
        _keys = new StoreKeys(options.KeyPrefix, cluster: false);
        _retentionMs = (long)Math.Ceiling((options.IdempotencyRetention ?? options.Engine.IdempotencyRetention).TotalMilliseconds);
        _feed = new ReadModelFeed(LoadCalendarAsync, _disposal.Token, Warn, redis.Instruments?.ChangeFeedLag, options.Engine.TimeProvider, ApplyFeedDelta, redis.Instruments?.Reloads);
    }

    /// <summary>
    /// Connects to Redis (or takes <see cref="RedisSlotEngineOptions.Multiplexer"/>), checks persistence (see
    /// <see cref="RedisSlotEngineOptions.PersistenceCheck"/>) and starts the change feed. With <c>abortConnect=false</c>
    /// (<see cref="ConfigurationOptions.AbortOnConnectFail"/> false) and Redis not reachable, returns an engine whose
    /// calls fail (and whose <see cref="CheckHealthAsync"/> reports unhealthy) until Redis arrives; it then finishes
    /// starting by itself.
    /// </summary>
    /// <param name="options">Settings; validated here.</param>
    /// <param name="cancellationToken">Cancels the connect.</param>
    /// <returns>The engine.</returns>
    /// <exception cref="ArgumentException">A setting is invalid; the message names it.</exception>
    /// <exception cref="RedisConnectionException">Redis could not be reached and <c>abortConnect</c> is true (the default).</exception>
    /// <exception cref="InvalidOperationException">The persistence check found a risk and the mode is <see cref="PersistenceCheckMode.Refuse"/>, or another patient key secret is in use under the same key prefix.</exception>
    /// <exception cref="StoreLayoutException">The store under the key prefix was written in another stored layout (another build's, or an older build's with no recorded version).</exception>
    public static async Task<RedisSlotEngine> ConnectAsync(RedisSlotEngineOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var logger = options.LoggerFactory?.CreateLogger("SlotEngine.Redis") ?? NullLogger.Instance;
        var durableLinks = options.WaitForReplicas > 0 ? options.DurableConnections : 0;
        var redis = await StoreConnection.ConnectAsync(options.Multiplexer, options.ResolveConfiguration(), durableLinks, logger, options.MaxScriptsInFlight, options.StoreSockets).WaitAsync(cancellationToken).ConfigureAwait(false);
        redis.Instruments = RedisStoreInstruments.Create(options.MeterFactory);
        var engine = new RedisSlotEngine(options, redis, logger);
        try
        {
            await engine.StartAsync(cancellationToken).ConfigureAwait(false);
            return engine;
        }
        catch
        {
            await engine.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public SlotDirectory Directory => _localEngine.Directory;

    /// <inheritdoc />
    public SlotEngineOptions Options => _localEngine.Options;

    /// <inheritdoc />
    /// <remarks>By this node's <see cref="SlotEngineOptions.TimeProvider"/>, as the read model counts days.</remarks>
    public DateOnly Today => _localEngine.Today;

    /// <summary>Turns national IDs into patient keys (every node needs the same secret: <see cref="SlotEngineOptions.PatientKeyHasher"/>).</summary>
    public PatientKeyHasher PatientKeys => _localEngine.PatientKeys;

    /// <summary>What the start-up persistence check found (empty when all is well, the check is off, or Redis was not reached yet).</summary>
    public IReadOnlyList<string> PersistenceWarnings => Volatile.Read(ref _persistenceWarnings);

    /// <summary>The multiplexer the store runs on (the host's when one was given).</summary>
    public IConnectionMultiplexer Multiplexer => _redis.Multiplexer;

    /// <summary>The connection adapter, for tests.</summary>
    internal StoreConnection Connection => _redis;

    /// <summary>The local read model, for tests.</summary>
    internal InMemorySlotEngine ReadModel => _localEngine;

    /// <summary>The change feed, for tests and measurements.</summary>
    internal ReadModelFeed Feed => _feed;

    /// <summary>The patient key of a national ID.</summary>
    /// <param name="id">A validated ID.</param>
    /// <returns>The key.</returns>
    public PatientKey PatientOf(NationalId id) => _localEngine.PatientOf(id);

    /// <summary>
    /// Loads a provider's published days in a range into this node's read model and follows their changes
    /// (in a cluster, subscribes to their shard channels). Days not published are skipped.
    /// </summary>
    /// <param name="provider">A registered provider.</param>
    /// <param name="from">First day.</param>
    /// <param name="to">Last day (inclusive), at most 366 days after <paramref name="from"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many published days were loaded.</returns>
    /// <exception cref="SlotEngineArgumentException">Unknown provider or a bad range.</exception>
    public async Task<int> WatchAsync(ProviderId provider, DateOnly from, DateOnly to, CancellationToken cancellationToken = default)
    {
        if (to < from || to.DayNumber - from.DayNumber > 366)
        {
            throw new SlotEngineArgumentException(SlotEngineError.InvalidDateRange, $"The date range {from:yyyy-MM-dd}..{to:yyyy-MM-dd} must not end before it starts nor span more than 366 days.", nameof(to));
        }

        _readModel.ValidateProvider(provider);
        var loads = new List<Task<long>>();
        for (var day = from; day <= to; day = day.AddDays(1))
        {
            loads.Add(_feed.RefreshAsync(new CalendarKey(provider, day)));
        }

        var versions = await BoundedLoadAsync(Task.WhenAll(loads), "the days of " + provider).WaitAsync(cancellationToken).ConfigureAwait(false);
        return versions.Count(v => v > 0);
    }

    /// <summary>Stops the feed and the sweeper and closes the connections.</summary>
    /// <returns>A task that completes when all is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _disposal.CancelAsync().ConfigureAwait(false);
        foreach (var loop in new[] { _sweeper, _versionCheck })
        {
            if (loop is not null)
            {
                await loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        _redis.ResyncNeeded -= OnResyncNeeded;
        _redis.ConnectionChanged -= OnConnectionChanged;
        await _redis.DisposeAsync().ConfigureAwait(false);
        _disposal.Dispose();
    }

    private async Task SweepLoopAsync(TimeSpan interval)
    {
        var token = _disposal.Token;
        using var timer = new PeriodicTimer(interval, _options.Engine.TimeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
            {
                try
                {
                    await SweepExpiredHoldsAsync(token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is RedisException or TimeoutException)
                {
                    Warn("The hold sweeper failed this round: " + e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // disposing
        }
    }

    /// <summary>A message on a standalone server's one channel (checkpoint counters at index 0).</summary>
    internal void OnFeedMessage(ReadOnlyMemory<byte> message) => OnFeedMessage(0, message);

    /// <summary>A message on a feed channel: <paramref name="channel"/> 0 on a standalone server, the hash slot in a cluster.</summary>
    private void OnFeedMessage(int channel, ReadOnlyMemory<byte> message)
    {
        if (!message.IsEmpty && message.Span[0] == (byte)PublishedBatch.Mark)
        {
            CountFeedMessage(channel);
            OnPublishedBatch(message.Span); // a bulk publish's days (one message per call, not per day)
            return;
        }

        Span<char> text = stackalloc char[Math.Min(message.Length, 256)];
        var length = System.Text.Encoding.UTF8.GetChars(message.Span[..text.Length], text);
        var line = text[..length];
        if (line.Length > 0 && line[0] == '#')
        {
            OnCheckpoint(channel, line[1..]); // the version check's checkpoint (RedisSlotEngine.Checkpoint.cs)
            return;
        }

        CountFeedMessage(channel);
        if (!FeedMessage.TryParse(line, out var feed) || !Directory.Contains(feed.Calendar.Provider))
        {
            return;
        }

        if (feed.NewGeneration)
        {
            // "gone" (withdrawn) or "reset" (published again, rebuilt), or a word of a newer version: a new
            // generation whose versions start again, so the version order says nothing: reload whatever is held.
            if (_logger.IsEnabled(LogLevel.Information))
            {
                StoreLog.ReadModelReset(_logger, feed.Calendar.ToString()); // not formatted per message when nobody listens (bulk publishing: millions)
            }

            if (feed.Change == FeedChange.Reset && _published.TemplateOf(line) is { } template)
            {
                // A day just opened, its template in the message: laid in without reading it back (FeedPublished.cs).
                _feed.HearPublished(feed.Calendar, feed.Version, feed.ChangedAtMs, (_readModel, template), LayInPublished);
                return;
            }

            _feed.Force(feed.Calendar, feed.ChangedAtMs, feed.Version);
        }
        else
        {
            // A change with its delta is laid in at once (version-checked); a gap or a change without one reloads.
            _feed.Hear(feed);
        }
    }

    /// <summary>
    /// The days one bulk publish opened (<see cref="PublishedBatch"/>): each as its own <c>reset</c> with the template would be,
    /// laid in from the template without reading it (or reloaded when the template cannot be read). Once per
    /// <c>publish_many</c> call, not per booking: the text is decoded into a rented buffer (the message lists up to 128 days).
    /// </summary>
    private void OnPublishedBatch(ReadOnlySpan<byte> message)
    {
        var buffer = System.Buffers.ArrayPool<char>.Shared.Rent(message.Length);
        try
        {
            var text = buffer.AsSpan(0, System.Text.Encoding.UTF8.GetChars(message, buffer));
            if (!PublishedBatch.TryParse(text, out var references, out var version, out var changedAtMs))
            {
                return;
            }

            var template = _published.TemplateOf(text);
            while (PublishedBatch.NextCalendar(ref references, out var reference))
            {
                if (!StoreKeys.TryParseCalendarRef(reference, out var calendar) || !Directory.Contains(calendar.Provider))
                {
                    continue;
                }

                if (_logger.IsEnabled(LogLevel.Information))
                {
                    StoreLog.ReadModelReset(_logger, calendar.ToString());
                }

                if (template is not null)
                {
                    _feed.HearPublished(calendar, version, changedAtMs, (_readModel, template), LayInPublished);
                }
                else
                {
                    _feed.Force(calendar, changedAtMs, version);
                }
            }
        }
        finally
        {
            System.Buffers.ArrayPool<char>.Shared.Return(buffer);
        }
    }

    private static readonly Func<(ReadModel Model, DayTemplate Template), CalendarKey, long, bool> LayInPublished =
        static (with, key, version) => { with.Model.LoadPublished(key, with.Template, version); return true; };

    /// <summary>Lays a feed message's delta into the read model when it holds exactly the version before (false: reload).</summary>
    private bool ApplyFeedDelta(in FeedMessage message)
    {
        var delta = message.Delta;
        var from = message.Version - 1;
        return delta.Op switch
        {
            FeedOp.Claim => _readModel.ApplyClaim(
                message.Calendar,
                from,
                message.Version,
                new ReadModelClaim(delta.Seat, delta.First, delta.Length, delta.Token, delta.Patient, delta.HoldExpiryMs == 0, delta.HoldExpiryMs == 0 ? 0 : UnixMs.ToTicks(delta.HoldExpiryMs)) { AwaitsApproval = delta.AwaitsApproval }),
            FeedOp.AwaitApproval => _readModel.ApplyAwaitApproval(message.Calendar, from, message.Version, delta.Seat, delta.First, delta.Token, UnixMs.ToTicks(delta.HoldExpiryMs)),
            FeedOp.Confirm => _readModel.ApplyConfirm(message.Calendar, from, message.Version, delta.Seat, delta.First, delta.Token),
            FeedOp.Release => _readModel.ApplyRelease(message.Calendar, from, message.Version, delta.Seat, delta.First, delta.Token),
            FeedOp.Close => delta.Length > 0 && _readModel.ApplyClose(message.Calendar, from, message.Version, new SlotRange(delta.First, delta.Length)),
            FeedOp.Reopen => delta.Length > 0 && _readModel.ApplyReopen(message.Calendar, from, message.Version, new SlotRange(delta.First, delta.Length)),
            _ => false,
        };
    }

    /// <summary>
    /// In a cluster, follows the calendar's hash slot's feed channel (<see cref="SlotChannels"/>; at most 16,384 channels
    /// whatever the number of calendars), and asks for a checkpoint on it at once so its version check learns its offset.
    /// </summary>
    private async ValueTask EnsureSubscribedAsync(CalendarKey key, CancellationToken cancellationToken)
    {
        if (!_keys.Cluster)
        {
            return;
        }

        var channel = _keys.FeedOf(key);
        if (_shardSubscriptions.ContainsKey(channel))
        {
            return;
        }

        var slot = SlotChannels.SlotOf(channel);
        var subscribing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var existing = _shardSubscriptions.GetOrAdd(channel, subscribing.Task);
        if (existing != subscribing.Task)
        {
            await existing.WaitAsync(cancellationToken).ConfigureAwait(false); // another caller subscribes: wait for it
            return;
        }

        try
        {
            await _redis.SubscribeAsync(channel, sharded: true, message => OnFeedMessage(slot, message), cancellationToken).ConfigureAwait(false);
            subscribing.SetResult();
        }
        catch (Exception e)
        {
            _shardSubscriptions.TryRemove(channel, out _);
            subscribing.SetException(e);
            throw;
        }

        if (_options.VersionCheckInterval is not null)
        {
            _ = CheckpointSoonAsync(channel);
        }
    }

    /// <summary>
    /// Runs <paramref name="script"/> on <paramref name="link"/> as one of this node's own writes to <paramref name="calendar"/>
    /// (its feed echo waits for the reply): on success the caller must end the write
    /// (<see cref="EndOwnWrite(CalendarKey, long, in FeedDelta)"/>); a failure ends it here. No closure: the arguments are built
    /// before the write begins, so nothing can throw between its beginning and the call. <paramref name="args"/> must come
    /// from <see cref="FeedArgs"/> (rented): it is given back once the call has completed.
    /// </summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<RedisReply> OwnWriteAsync(CalendarKey calendar, StoreConnection.Link link, RedisScript script, RedisKey[] keys, RedisArgument[] args, CancellationToken cancellationToken)
    {
        _feed.BeginOwnWrite(calendar);
        try
        {
            return await _redis.EvalShaAsync(link, script, keys, args, giveBack: true, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _feed.EndOwnWrite(calendar, 0, null);
            throw;
        }
    }

    /// <summary>
    /// As <see cref="OwnWriteAsync(CalendarKey, StoreConnection.Link, RedisScript, RedisKey[], RedisArgument[], CancellationToken)"/>,
    /// with the call made by <paramref name="script"/> from <paramref name="state"/> (a static lambda and a value tuple: no closure).
    /// </summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<RedisReply> OwnWriteAsync<TState>(CalendarKey calendar, TState state, Func<TState, ValueTask<RedisReply>> script)
    {
        _feed.BeginOwnWrite(calendar);
        try
        {
            return await script(state).ConfigureAwait(false);
        }
        catch
        {
            _feed.EndOwnWrite(calendar, 0, null);
            throw;
        }
    }

    /// <summary>
    /// Ends an own write: a change to <paramref name="toVersion"/> (0: none) described by <paramref name="delta"/>
    /// (<see cref="FeedOp.None"/>: not described) is laid into the read model as its feed message would be, when the read model
    /// holds exactly the version before; else it reloads.
    /// </summary>
    private void EndOwnWrite(CalendarKey calendar, long toVersion, in FeedDelta delta) =>
        _feed.EndOwnWrite(calendar, toVersion, delta);

    /// <summary>As <see cref="EndOwnWrite(CalendarKey, long, in FeedDelta)"/>, with the calendar's feed state in hand (<see cref="KeysAndFeedOf"/>).</summary>
    private void EndOwnWrite(CalendarKey calendar, ReadModelFeed.State feed, long toVersion, in FeedDelta delta) =>
        _feed.EndOwnWrite(calendar, feed, toVersion, delta);

    private ValueTask<RedisReply> EvalAsync(RedisScript script, RedisKey[] keys, RedisArgument[] args, CancellationToken cancellationToken) =>
        _redis.EvalShaAsync(script, keys, args, cancellationToken);

    private static RedisKey[] CalendarKeys(CalendarKeySet keys) => keys.ScriptKeys;

    /// <summary>
    /// ARGV of a script that publishes to the change feed: the channel, whether it is a shard channel, the calendar's
    /// reference, then <paramref name="rest"/>. Rented from <see cref="ScriptArguments"/>: a call that gives it back
    /// (<see cref="OwnWriteAsync(CalendarKey, StoreConnection.Link, RedisScript, RedisKey[], RedisArgument[], CancellationToken)"/>)
    /// makes no garbage; one that does not leaves it to the garbage collector.
    /// </summary>
    private RedisArgument[] FeedArgs(CalendarKeySet keys, params ReadOnlySpan<RedisArgument> rest)
    {
        var args = ScriptArguments.Rent(3 + rest.Length);
        FeedHead(args, keys);
        rest.CopyTo(args.AsSpan(3));
        return args;
    }

    /// <summary>The first three ARGV of a script that publishes to the change feed (<see cref="FeedArgs"/>).</summary>
    private void FeedHead(Span<RedisArgument> args, CalendarKeySet keys)
    {
        args[0] = keys.FeedValue;
        args[1] = _keys.Cluster ? One : Zero;
        args[2] = keys.ReferenceValue;
    }

    /// <summary>"1" and "0" as bytes (a string argument is transcoded on every call).</summary>
    private static readonly byte[] One = "1"u8.ToArray(), Zero = "0"u8.ToArray();

    /// <summary>
    /// A calendar's key names and its change-feed state by one look-up (the state kept in the key set on first use), for
    /// the booking path: <see cref="ReadModelFeed.BeginOwnWrite(ReadModelFeed.State)"/> and the <c>EndOwnWrite</c> with a state.
    /// </summary>
    private CalendarKeySet KeysAndFeedOf(CalendarKey calendar, out ReadModelFeed.State feed)
    {
        var keys = _keys.For(calendar);
        feed = keys.FeedState ??= _feed.StateOf(calendar);
        return keys;
    }
}
