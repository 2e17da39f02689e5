using System.Diagnostics;

namespace SlotEngine.Benchmarks.Redis;

/// <summary>What one measured run gave: operations per second and latency percentiles (milliseconds).</summary>
internal sealed record LoadResult(long Operations, TimeSpan Elapsed, double P50Ms, double P99Ms, double MeanMs)
{
    public double PerSecond => Operations / Elapsed.TotalSeconds;
}

/// <summary>
/// A closed loop: <c>inFlight</c> workers each take the next operation index and await it, until
/// <c>operations</c> have run; every operation's latency is kept for the percentiles.
/// </summary>
internal static class ClosedLoop
{
    public static async Task<LoadResult> RunAsync(int operations, int inFlight, Func<int, ValueTask> operation)
    {
        var latencies = new long[operations];
        var next = -1;
        var clock = Stopwatch.StartNew();
        var workers = new Task[inFlight];
        for (var w = 0; w < inFlight; w++)
        {
            workers[w] = Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < operations)
                {
                    var started = Stopwatch.GetTimestamp();
                    await operation(i).ConfigureAwait(false);
                    latencies[i] = Stopwatch.GetTimestamp() - started;
                }
            });
        }

        await Task.WhenAll(workers).ConfigureAwait(false);
        clock.Stop();
        Array.Sort(latencies);
        double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        return new LoadResult(
            operations,
            clock.Elapsed,
            Ms(latencies[operations / 2]),
            Ms(latencies[Math.Min(operations - 1, (int)(operations * 0.99))]),
            latencies.Average(t => Ms(t)));
    }
}
