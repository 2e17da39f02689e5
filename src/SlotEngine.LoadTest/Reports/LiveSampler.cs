using System.Diagnostics;
using SlotEngine.LoadTest.Run;

namespace SlotEngine.LoadTest.Reports;

/// <summary>One look at a running load.</summary>
/// <param name="Elapsed">Wall time since the load started.</param>
/// <param name="Progress">0 to 1.</param>
/// <param name="Bookings">Confirmed bookings so far.</param>
/// <param name="Cancelled">Bookings cancelled so far.</param>
/// <param name="OpsPerSecond">Engine operations (search, hold, confirm, cancel) per second since the last look.</param>
/// <param name="BookingsPerSecond">Bookings per second since the last look.</param>
/// <param name="FillRatio">Live bookings over all seats.</param>
/// <param name="P99Micros">p99 latency per operation since the last look, microseconds.</param>
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
/// Takes periodic looks at the workers' stats for the live display: merges their histograms (a
/// racy read of single-writer counters: a moment old, never torn) and subtracts the previous look
/// to get per-interval rates and p99s. Used by one thread.
/// </summary>
internal sealed class LiveSampler(IReadOnlyList<CitizenWorker> workers, RunControl control, LoadSettings settings)
{
    private static readonly TimeZoneInfo Istanbul = TimeZoneInfo.FindSystemTimeZoneById("Europe/Istanbul");
    private WorkerStats? _previous;
    private long _previousTimestamp;

    /// <summary>Takes a look.</summary>
    /// <returns>The sample.</returns>
    public ProgressSample Sample()
    {
        var now = Stopwatch.GetTimestamp();
        var current = WorkerStats.Merge(workers.Select(w => w.Stats));
        var seconds = Stopwatch.GetElapsedTime(_previous is null ? control.StartTimestamp : _previousTimestamp, now).TotalSeconds;
        var p99 = new double[OperationNames.Count];
        long ops = 0;
        for (var i = 0; i < OperationNames.Count; i++)
        {
            var interval = _previous is null ? current.Latency[i] : current.Latency[i].Minus(_previous.Latency[i]);
            p99[i] = interval.ValueAtPercentile(99) / 1000.0;
            if (i != (int)Operation.Booking)
            {
                ops += interval.TotalCount;
            }
        }

        var bookings = current.Bookings - (_previous?.Bookings ?? 0);
        _previous = current;
        _previousTimestamp = now;
        return new ProgressSample(
            Stopwatch.GetElapsedTime(control.StartTimestamp, now),
            Math.Clamp(control.Progress(0), 0, 1),
            current.Bookings,
            current.Cancelled,
            seconds > 0 ? ops / seconds : 0,
            seconds > 0 ? bookings / seconds : 0,
            settings.TotalSeats == 0 ? 0 : (double)(current.Bookings - current.Cancelled) / settings.TotalSeats,
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
