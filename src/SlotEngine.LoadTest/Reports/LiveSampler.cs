using System.Diagnostics;
using SlotEngine.LoadTest.Run;

namespace SlotEngine.LoadTest.Reports;

/// <summary>One look at a running load.</summary>
/// <param name="Elapsed">Wall time since the load started.</param>
/// <param name="Progress">0 to 1.</param>
/// <param name="Bookings">Confirmed bookings so far.</param>
/// <param name="Cancelled">Bookings cancelled so far.</param>
/// <param name="OpsPerSecond">Engine operations (search, hold, confirm, cancel) per second in the timeline's latest interval.</param>
/// <param name="BookingsPerSecond">Bookings per second in the timeline's latest interval.</param>
/// <param name="FillRatio">Live bookings over all seats.</param>
/// <param name="P99Micros">p99 latency per operation in the timeline's latest interval, microseconds.</param>
/// <param name="ScenarioNow">The scenario clock.</param>
internal sealed record ProgressSample(
    TimeSpan Elapsed,
    double Progress,
    long Bookings,
    long Cancelled,
    double OpsPerSecond,
    double BookingsPerSecond,
    double FillRatio,
    double[] P99Micros,
    DateTimeOffset ScenarioNow);

/// <summary>
/// Takes looks at the running load for the live display: the rates and p99s of the timeline's
/// latest interval (the <see cref="TimelineSampler"/> is the only reader of the workers'
/// recorders), and the workers' single-writer counters read now (a moment old, never torn).
/// </summary>
internal sealed class LiveSampler(IReadOnlyList<CitizenWorker> workers, RunControl control, LoadSettings settings, TimelineSampler timeline)
{
    private static readonly TimeZoneInfo Istanbul = TimeZoneInfo.FindSystemTimeZoneById("Europe/Istanbul");

    /// <summary>Takes a look.</summary>
    /// <returns>The sample.</returns>
    public ProgressSample Sample()
    {
        var now = Stopwatch.GetTimestamp();
        long bookings = 0;
        long cancelled = 0;
        foreach (var worker in workers)
        {
            bookings += worker.Stats.Bookings;
            cancelled += worker.Stats.Cancelled;
        }

        var latest = timeline.Latest;
        var p99 = new double[OperationNames.Count];
        for (var i = 0; i < OperationNames.Count; i++)
        {
            p99[i] = latest?.Latency[i].P99Micros ?? 0;
        }

        return new ProgressSample(
            Stopwatch.GetElapsedTime(control.StartTimestamp, now),
            Math.Clamp(control.Progress(0), 0, 1),
            bookings,
            cancelled,
            latest?.OperationsPerSecond ?? 0,
            latest?.BookingsPerSecond ?? 0,
            settings.TotalSeats == 0 ? 0 : (double)(bookings - cancelled) / settings.TotalSeats,
            p99,
            TimeZoneInfo.ConvertTime(control.Clock.GetUtcNow(), Istanbul));
    }

    /// <summary>Formats microseconds compactly (µs below 1 ms, ms above).</summary>
    /// <param name="micros">The value.</param>
    /// <returns>The text.</returns>
    public static string FormatMicros(double micros) => micros switch
    {
        < 10 => $"{micros:0.00} µs",
        < 1000 => $"{micros:0.0} µs",
        < 1_000_000 => $"{micros / 1000:0.00} ms",
        _ => $"{micros / 1_000_000:0.00} s",
    };
}
