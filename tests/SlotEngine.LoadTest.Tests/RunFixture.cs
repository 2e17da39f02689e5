using SlotEngine.LoadTest.Reports;
using SlotEngine.LoadTest.Run;
using Spectre.Console;

namespace SlotEngine.LoadTest.Tests;

/// <summary>Small real runs shared by the report tests (each made once per test class that asks).</summary>
internal static class Runs
{
    private static readonly Lazy<Task<RunResult>> Timed = new(() => RunAsync(new LoadSettings { Providers = 400, BookingsTarget = null, Duration = TimeSpan.FromSeconds(1.5), Concurrency = 2, Citizens = 2_000, Seed = 5 }));

    /// <summary>A 1.5-second run (about 30 intervals of 50 ms).</summary>
    public static Task<RunResult> OneAndAHalfSeconds => Timed.Value;

    /// <summary>A small Redis run against <paramref name="redis"/>: 120 providers, 3 days, 400 bookings by 8 workers.</summary>
    public static LoadSettings SmallRedis(RedisServer redis, int nodes = 1) => new()
    {
        Backend = BackendKind.Redis,
        RedisConnection = redis.Endpoint,
        Providers = 120,
        DaysOpen = 3,
        BookingsTarget = 400,
        Duration = null,
        Concurrency = 8,
        Citizens = 1_000,
        Nodes = nodes,
    };

    public static ProgressOutput Quiet() =>
        new(AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(new StringWriter()) }), live: false);

    public static async Task<RunResult> RunAsync(LoadSettings settings)
    {
        var result = await LoadRun.ExecuteAsync(settings, Quiet(), CancellationToken.None);
        return result ?? throw new InvalidOperationException("the in-memory backend is always available");
    }

    public static string TempPath(string extension) =>
        Path.Combine(Path.GetTempPath(), "slotengine-load-test-" + Guid.NewGuid().ToString("N") + extension);
}
