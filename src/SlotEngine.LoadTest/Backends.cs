namespace SlotEngine.LoadTest;

/// <summary>Creates the engine a run drives.</summary>
internal static class Backends
{
    /// <summary>
    /// StackExchange.Redis's feature flag (3.x) for connections read and written by threads it owns instead of the thread pool:
    /// a reply is read on the reader thread, not first handed to a pool item by the socket engine (<see cref="LoadSettings.RedisDedicatedThreads"/>).
    /// </summary>
    public const string DedicatedThreadsFlag = "DedicatedThreads";

    /// <summary>The name used in reports.</summary>
    /// <param name="kind">The backend.</param>
    /// <returns>Its name.</returns>
    public static string Name(BackendKind kind) => kind == BackendKind.Redis ? "redis" : "memory";

    /// <summary>Creates the engine, or says why it cannot.</summary>
    /// <param name="settings">The run's settings.</param>
    /// <param name="options">Engine options (the scenario clock, horizon, patient key secret).</param>
    /// <param name="warn">Receives the store's warnings (e.g. Redis persistence settings).</param>
    /// <param name="cancellationToken">Cancels connecting.</param>
    /// <returns>The engine, or why not.</returns>
    public static async Task<(ISlotEngine? Engine, string? Error)> CreateAsync(LoadSettings settings, SlotEngineOptions options, Action<string> warn, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Backend == BackendKind.Memory)
        {
            return (new InMemorySlotEngine(options), null);
        }

        return await ConnectAsync(settings, options, KeyPrefix(settings), warn, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Each run writes under its own key prefix, so runs never see each other's calendars; the
    /// processes of one multi-process run (<c>--run-id</c>) share theirs.
    /// </summary>
    /// <param name="settings">The run's settings.</param>
    /// <returns>The prefix.</returns>
    public static string KeyPrefix(LoadSettings settings) =>
        settings.RunId is { } run
            ? "se-load:" + run + ":"
            : "se-load:" + settings.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture) + ":" + Guid.NewGuid().ToString("N")[..8] + ":";

    /// <summary>Creates <see cref="LoadSettings.Nodes"/> engines over one key prefix (one for memory), or says why not.</summary>
    /// <param name="settings">The run's settings.</param>
    /// <param name="options">Engine options.</param>
    /// <param name="warn">Receives the store's warnings.</param>
    /// <param name="cancellationToken">Cancels connecting.</param>
    /// <returns>The engines, or why not (the ones already connected are disposed).</returns>
    public static async Task<(IReadOnlyList<ISlotEngine>? Engines, string? Error)> CreateNodesAsync(LoadSettings settings, SlotEngineOptions options, Action<string> warn, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Backend == BackendKind.Memory)
        {
            return ([new InMemorySlotEngine(options)], null);
        }

        var prefix = KeyPrefix(settings);
        var engines = new List<ISlotEngine>();
        for (var n = 0; n < settings.Nodes; n++)
        {
            // Only the first node's warnings are shown: every node would repeat them.
            var (engine, error) = await ConnectAsync(settings, options, prefix, n == 0 ? warn : _ => { }, cancellationToken).ConfigureAwait(false);
            if (engine is null)
            {
                foreach (var made in engines)
                {
                    await ((IAsyncDisposable)made).DisposeAsync().ConfigureAwait(false);
                }

                return (null, error);
            }

            engines.Add(engine);
        }

        return (engines, null);
    }

    private static async Task<(ISlotEngine? Engine, string? Error)> ConnectAsync(LoadSettings settings, SlotEngineOptions options, string prefix, Action<string> warn, CancellationToken cancellationToken)
    {
        try
        {
            // Process-wide and read when a connection is made: set before every node's (and the probes') multiplexer.
            StackExchange.Redis.ConnectionMultiplexer.SetFeatureFlag(DedicatedThreadsFlag, settings.RedisDedicatedThreads);
            var storeOptions = new SlotEngine.Redis.RedisSlotEngineOptions
            {
                ConnectionString = settings.RedisConnection,
                Engine = options,
                KeyPrefix = prefix,
                Warning = warn,
                StoreSockets = settings.RedisStoreSockets,
            };
            if (settings.RedisScriptsInFlight is { } inFlight)
            {
                storeOptions.MaxScriptsInFlight = inFlight > 0 ? inFlight : null;
            }

            var store = await SlotEngine.Redis.RedisSlotEngine.ConnectAsync(storeOptions, cancellationToken).ConfigureAwait(false);
            return (store, null);
        }
        catch (Exception e) when (e is not OutOfMemoryException and not OperationCanceledException)
        {
            return (null, $"Cannot connect to Redis at '{settings.RedisConnection}': {e.Message}");
        }
    }
}
