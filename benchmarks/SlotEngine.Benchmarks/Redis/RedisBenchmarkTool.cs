using System.Globalization;

namespace SlotEngine.Benchmarks.Redis;

/// <summary>Runs <c>redis-benchmark … --csv &lt;command&gt;</c> and reads its one result line.</summary>
internal static class RedisBenchmarkTool
{
    /// <summary>The exact command line of the last runs, for the report.</summary>
    public static List<string> CommandLines { get; } = [];

    public static async Task<LoadResult> RunAsync(int port, int requests, int clients, int pipeline, int randomKeys, IReadOnlyList<string> command)
    {
        var args = new List<string>
        {
            "-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture),
            "-n", requests.ToString(CultureInfo.InvariantCulture),
            "-c", clients.ToString(CultureInfo.InvariantCulture),
            "-P", pipeline.ToString(CultureInfo.InvariantCulture),
            "-r", randomKeys.ToString(CultureInfo.InvariantCulture),
            "--csv",
        };
        args.AddRange(command);
        CommandLines.Add("redis-benchmark " + string.Join(' ', args.Select(Quote)));
        var output = await RedisServerProcess.RunToolAsync("redis-benchmark", args, TimeSpan.FromMinutes(2)).ConfigureAwait(false);

        // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
        var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .LastOrDefault(l => l.StartsWith('"') && !l.StartsWith("\"test\"", StringComparison.Ordinal))
            ?? throw new InvalidOperationException("redis-benchmark gave no result line: " + output);
        var fields = line.Split("\",\"");
        double Field(int i) => double.Parse(fields[i].Trim('"'), CultureInfo.InvariantCulture);
        var rps = Field(fields.Length - 7);
        return new LoadResult(requests, TimeSpan.FromSeconds(requests / rps), Field(fields.Length - 4), Field(fields.Length - 2), Field(fields.Length - 6));
    }

    private static string Quote(string arg) => arg.Length == 0 ? "''" : arg.Contains('|', StringComparison.Ordinal) ? "'" + arg + "'" : arg;
}
