namespace SlotEngine.LoadTest.Run;

/// <summary>Everything a finished run measured.</summary>
internal sealed record RunResult
{
    /// <summary>The settings it ran with.</summary>
    public required LoadSettings Settings { get; init; }

    /// <summary>The merged counters and histograms.</summary>
    public required WorkerStats Stats { get; init; }

    /// <summary>The load cut into intervals (one per second, finer for short runs), in order.</summary>
    public IReadOnlyList<TimelinePoint> Timeline { get; init; } = [];

    /// <summary>The recount of the engine against the ledger.</summary>
    public required InvariantReport Invariants { get; init; }

    /// <summary>What the life-after-booking rules did, and whether they held.</summary>
    public LifecycleTotals Lifecycle { get; init; } = LifecycleTotals.Off;

    /// <summary>What the waitlist did, and whether its offers kept FIFO order.</summary>
    public WaitlistTotals Waitlist { get; init; } = WaitlistTotals.Off;

    /// <summary>The release rush, pools and admission rate (issue 12), or <see cref="RushTotals.Off"/>.</summary>
    public RushTotals Rush { get; init; } = RushTotals.Off;

    /// <summary>The reschedules, and whether every rescheduled appointment has exactly one live claim.</summary>
    public RescheduleTotals Reschedule { get; init; } = RescheduleTotals.Off;

    /// <summary>Seconds spent building the country, publishing the days and hashing the citizens.</summary>
    public required double SetupSeconds { get; init; }

    /// <summary>Seconds of load (workers running), wall clock.</summary>
    public required double ElapsedSeconds { get; init; }

    /// <summary>Seconds the invariant check took.</summary>
    public required double CheckSeconds { get; init; }

    /// <summary>Scenario time at the start and at the end.</summary>
    public required (DateTimeOffset Start, DateTimeOffset End) ScenarioTime { get; init; }

    /// <summary>Cancels scheduled for after the end of the run (not run).</summary>
    public required long CancelsPending { get; init; }

    /// <summary>Facilities, clinics and citizens in the scenario.</summary>
    public required (int Facilities, int Clinics, int Citizens) Scale { get; init; }

    /// <summary>Garbage collections, pauses, allocation and CPU time during the load.</summary>
    public required LoadCost Gc { get; init; }

    /// <summary>Thread-pool work items and context switches during the load (the threads' hand-offs).</summary>
    public ThreadHops? Hops { get; init; }

    /// <summary>The workers' time split between engine calls and the generator's own work.</summary>
    public GeneratorCost? Generator { get; init; }

    /// <summary>Setup steps and their seconds, in order (country, days opened, day indexes, citizens, collection).</summary>
    public IReadOnlyList<(string Step, double Seconds)> SetupSteps { get; init; } = [];

    /// <summary>
    /// The warm-up before the measured load (<see cref="LoadSettings.Warmup"/>): its seconds, its bookings and cancels (in the
    /// recount, not in <see cref="Stats"/>) and the methods the JIT compiled during it; all zero when it was off.
    /// </summary>
    public (double Seconds, long Bookings, long Cancelled, long JitMethods) Warmup { get; init; }

    /// <summary>The most providers one city-and-branch search spans.</summary>
    public required int LargestGroup { get; init; }

    /// <summary>What the run cost the Redis servers per booking (Redis backend with an INFO connection; otherwise null).</summary>
    public RedisRunStats? Redis { get; init; }

    /// <summary>Whether the run was stopped early (Ctrl+C).</summary>
    public required bool Interrupted { get; init; }

    /// <summary>
    /// Why the run stopped short of its target with no booking possible (<see cref="RunControl.Stalled"/>), or null when it
    /// did not stall: what refused the last claims and what to change.
    /// </summary>
    public string? Stalled { get; init; }

    /// <summary>Live bookings at the end over all seats of the open days.</summary>
    public double FillRatio => Settings.TotalSeats == 0 ? 0 : (double)(Stats.Bookings - Stats.Cancelled) / Settings.TotalSeats;

    /// <summary>Confirmed bookings per second of load.</summary>
    public double BookingsPerSecond => ElapsedSeconds <= 0 ? 0 : Stats.Bookings / ElapsedSeconds;

    /// <summary>Process CPU microseconds per confirmed booking during the load (all threads).</summary>
    public double CpuMicrosPerBooking => Stats.Bookings == 0 ? 0 : Gc.Cpu.TotalMicroseconds / Stats.Bookings;

    /// <summary>Bytes allocated per confirmed booking during the load (all threads).</summary>
    public double BytesPerBooking => Stats.Bookings == 0 ? 0 : (double)Gc.AllocatedBytes / Stats.Bookings;

    /// <summary>The exit code: 1 when the engine double-booked or broke an invariant (see <see cref="Failures"/>); otherwise 3 when the run stalled (<see cref="Stalled"/>).</summary>
    public int ExitCode => Failures.Count != 0 ? 1 : Stalled is null ? 0 : StalledExitCode;

    /// <summary>The exit code of a run that stalled (<see cref="Stalled"/>) and held every invariant.</summary>
    public const int StalledExitCode = 3;

    /// <summary>What failed, one line per broken check with its count and, for the recount, its kinds of problem; empty when the run held.</summary>
    public IReadOnlyList<string> Failures
    {
        get
        {
            var failures = new List<string>();
            Add(failures, "double_bookings", Invariants.DoubleBookings);
            if (Invariants.Violations != 0)
            {
                failures.Add($"invariant_violations {Invariants.Violations} ({string.Join(", ", Invariants.Problems.Select(p => $"{p.Key}: {p.Value}"))})");
            }

            if (Lifecycle.ReplayMismatches != 0)
            {
                failures.Add($"audit_replay_mismatches {Lifecycle.ReplayMismatches}" + (Lifecycle.ReplayDifferences.Count == 0 ? string.Empty : $" ({string.Join(" || ", Lifecycle.ReplayDifferences)})"));
            }

            if (Lifecycle.RuleViolations != 0)
            {
                failures.Add($"rule_violations {Lifecycle.RuleViolations}" + (Lifecycle.RuleBreaches.Count == 0 ? string.Empty : $" ({string.Join(" || ", Lifecycle.RuleBreaches.Take(MaxBreachesShown))})"));
            }

            Add(failures, "fifo_violations", Waitlist.FifoViolations);
            Add(failures, "pool_violations", Rush.PoolViolations);
            Add(failures, "reschedules_half_done", Reschedule.HalfDone);
            return failures;
        }
    }

    /// <summary>How many of <see cref="LifecycleTotals.RuleBreaches"/> a failure line shows.</summary>
    private const int MaxBreachesShown = 4;

    private static void Add(List<string> failures, string name, long count)
    {
        if (count != 0)
        {
            failures.Add($"{name} {count}");
        }
    }
}
