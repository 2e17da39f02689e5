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
    /// <param name="error">Why not, when the result is <see langword="null"/>.</param>
    /// <returns>The engine, or <see langword="null"/>.</returns>
    public static ISlotEngine? TryCreate(LoadSettings settings, SlotEngineOptions options, out string? error)
    {
        ArgumentNullException.ThrowIfNull(settings);
        error = null;
        switch (settings.Backend)
        {
            case BackendKind.Memory:
                return new InMemorySlotEngine(options);
            default:
                // The Redis store (SlotEngine.Redis) has its transport but no ISlotEngine yet. When it
                // ships one, create it here from settings.RedisConnection and the same options: the
                // scenario, the workers and the invariant check use ISlotEngine only.
                error = "The redis backend is not available yet: SlotEngine.Redis does not ship a store implementing ISlotEngine in this build. Use --backend memory.";
                return null;
        }
    }
}
