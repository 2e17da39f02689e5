using BenchmarkDotNet.Running;
using SlotEngine.Benchmarks.Infrastructure;
using SlotEngine.Benchmarks.Memory;
using SlotEngine.Benchmarks.Postgres;
using SlotEngine.Benchmarks.Redis;

namespace SlotEngine.Benchmarks;

/// <summary>
/// Entry point. Timing suites go through BenchmarkDotNet's switcher (<c>--filter '*Claims*'</c>,
/// <c>'*Contention*'</c>, <c>'*Queries*'</c>); <c>--smoke</c> runs every selected benchmark once
/// (BenchmarkDotNet's Dry job) for CI; <c>--memory</c> runs the bytes-per-slot report instead;
/// <c>--redis</c> the Redis benchmarks (they start their own redis-server processes); <c>--postgres</c>
/// the booking day side by side: SlotEngine in memory, on Redis, and a PostgreSQL 15 peer (it starts
/// its own servers; <c>--postgres --smoke</c> is its short run for CI); <c>--rules-cost</c> what each of
/// issue 11's rules adds to a claim and confirm (Rules/RulesCostReport.cs); <c>--sweep-cost</c> a sweep's CPU with
/// calendars awaiting approval (Rules/SweepCostReport.cs); <c>--cap-refusal-cost</c> a claim the active cap refuses
/// (Rules/CapRefusalReport.cs); <c>--directory-width-cost</c> what the cap's entries in a directory place cost a lookup
/// (Rules/DirectoryWidthReport.cs); <c>--machine-floor</c> what this machine charges for a locked operation and a cold
/// line, with issue 13's goals restated in them (Floor/MachineFloorReport.cs).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Contains("--machine-floor"))
        {
            return Floor.MachineFloorReport.Run(args);
        }

        if (args.Contains("--rules-cost"))
        {
            return Rules.RulesCostReport.Run(args);
        }

        if (args.Contains("--cap-refusal-cost"))
        {
            return Rules.CapRefusalReport.Run(args);
        }

        if (args.Contains("--directory-width-cost"))
        {
            return Rules.DirectoryWidthReport.Run(args);
        }

        if (args.Contains("--sweep-cost"))
        {
            return Rules.SweepCostReport.Run(args);
        }

        if (args.Contains("--memory"))
        {
            return MemoryReport.Run(args);
        }

        if (args.Contains("--postgres"))
        {
            return PostgresReport.RunAsync(args).GetAwaiter().GetResult();
        }

        if (args.Contains("--redis"))
        {
            return RedisReport.RunAsync(args).GetAwaiter().GetResult();
        }

        var (config, rest) = BenchConfig.FromArgs(args);
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest, config);

        // A benchmark that threw (a failed setup check, a claim that stopped succeeding) must fail the run.
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}
