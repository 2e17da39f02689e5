namespace SlotEngine.LoadTest;

/// <summary>Creates the engine a run drives.</summary>
internal static class Backends
{
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

        // Each run writes under its own key prefix, so runs never see each other's calendars.
        var prefix = "se-load:" + settings.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture) + ":" + Guid.NewGuid().ToString("N")[..8] + ":";
        try
        {
            var store = await SlotEngine.Redis.RedisSlotEngine.ConnectAsync(
                new SlotEngine.Redis.RedisSlotEngineOptions
                {
                    ConnectionString = settings.RedisConnection,
                    Engine = options,
                    KeyPrefix = prefix,
                    Warning = warn,
                },
                cancellationToken).ConfigureAwait(false);
            return (store, null);
        }
        catch (Exception e) when (e is not OutOfMemoryException and not OperationCanceledException)
        {
            return (null, $"Cannot connect to Redis at '{settings.RedisConnection}': {e.Message}");
        }
    }
}
