using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;

namespace SlotEngine.Benchmarks.Infrastructure;

/// <summary>
/// The one configuration every suite runs with (each suite adds [MemoryDiagnoser]): a short but sound job
/// (3 warmup and 10 measured iterations in one process) unless the command line names a job.
/// Ratios read as "12.3x slower" / "45.6x faster" than the baseline (RatioStyle.Trend).
/// <c>--smoke</c> swaps in BenchmarkDotNet's Dry job: every benchmark once, for CI.
/// </summary>
internal static class BenchConfig
{
    public static (IConfig Config, string[] Arguments) FromArgs(string[] args)
    {
        var smoke = args.Contains("--smoke");
        var rest = args.Where(a => a != "--smoke").ToArray();
        var config = ManualConfig.Create(DefaultConfig.Instance)
            .WithOptions(ConfigOptions.DisableLogFile)
            .WithSummaryStyle(SummaryStyle.Default.WithRatioStyle(RatioStyle.Trend))
            .WithBuildTimeout(TimeSpan.FromMinutes(10)); // a busy shared machine builds slowly; the default of 2 minutes was hit
        var namesJob = rest.Any(a => a is "--job" or "-j");
        if (smoke)
        {
            config = config.AddJob(Job.Dry.WithId("Smoke"));
        }
        else if (!namesJob)
        {
            config = config.AddJob(Job.Default.WithId("Short").WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(10));
        }

        return (config, rest);
    }
}
