namespace SlotEngine.LoadTest;

/// <summary>Which engine the generator drives.</summary>
internal enum BackendKind
{
    /// <summary>The embedded in-memory engine.</summary>
    Memory,

    /// <summary>The Redis store (SlotEngine.Redis), one instance or a cluster.</summary>
    Redis,
}

/// <summary>Everything a run is told on the command line, validated. Immutable.</summary>
internal sealed record LoadSettings
{
    /// <summary>MHRS's average day.</summary>
    public const long MhrsDay = 1_700_000;

    /// <summary>Providers (doctors) in the country.</summary>
    public int Providers { get; init; } = 150_000;

    /// <summary>Days open for booking (tomorrow and the following ones).</summary>
    public int DaysOpen { get; init; } = 15;

    /// <summary>Slot length.</summary>
    public TimeSpan SlotLength { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The default time limit when neither a bookings target nor a duration is given.</summary>
    public static readonly TimeSpan DefaultTimeLimit = TimeSpan.FromSeconds(10);

    /// <summary>Stop after this many confirmed bookings; <see langword="null"/> for no target. Whichever of this and <see cref="Duration"/> comes first stops the run.</summary>
    public long? BookingsTarget { get; init; } = MhrsDay;

    /// <summary>Stop after this long of load (wall clock); <see langword="null"/> for no limit.</summary>
    public TimeSpan? Duration { get; init; } = DefaultTimeLimit;

    /// <summary>Concurrent workers (citizens in flight).</summary>
    public int Concurrency { get; init; } = Environment.ProcessorCount;

    /// <summary>Open loop: citizens arriving per second in total; <see langword="null"/> for closed loop (as fast as possible).</summary>
    public double? Rate { get; init; }

    /// <summary>Seed of every random choice.</summary>
    public long Seed { get; init; } = 42;

    /// <summary>The citizens who book (distinct national IDs).</summary>
    public int Citizens { get; init; } = 1_000_000;

    /// <summary>Share of the load that arrives in the release rush.</summary>
    public double RushShare { get; init; } = 0.3;

    /// <summary>The engine driven.</summary>
    public BackendKind Backend { get; init; } = BackendKind.Memory;

    /// <summary>Redis connection string (host:port,host:port,options) for <see cref="BackendKind.Redis"/>.</summary>
    public string? RedisConnection { get; init; }

    /// <summary>
    /// Redis: whether the client's connections are serviced by threads StackExchange.Redis owns (its <c>DedicatedThreads</c>
    /// feature flag: a reader and a writer thread per connection) rather than by the thread pool. A host setting, process-wide.
    /// </summary>
    public bool RedisDedicatedThreads { get; init; } = true;

    /// <summary>
    /// Redis: whether the store services its connections' sockets itself (<c>RedisSlotEngineOptions.StoreSockets</c>: the
    /// writing thread sends, one reader thread per connection), <c>--redis-threads store</c>, the default. Its connections then
    /// use no thread of StackExchange.Redis's whatever <see cref="RedisDedicatedThreads"/> says.
    /// </summary>
    public bool RedisStoreSockets { get; init; } = true;

    /// <summary>Redis: the scripts each node has in flight at once (<c>RedisSlotEngineOptions.MaxScriptsInFlight</c>); 0: no bound; null: the store's default.</summary>
    public int? RedisScriptsInFlight { get; init; }

    /// <summary>
    /// The longest warm-up before the measured load (<c>--warmup</c>; zero for none): workers of their own book until the
    /// JIT has compiled no method for <see cref="WarmupQuietFor"/> (at least <see cref="WarmupAtLeast"/>), so that the
    /// tiered compiler's recompiles of the booking path are not charged to the measured bookings. Its bookings are in the
    /// recount, not in the report's per-booking figures.
    /// </summary>
    public TimeSpan Warmup { get; init; }

    /// <summary>The warm-up ends once no method was compiled for this long.</summary>
    public static readonly TimeSpan WarmupQuietFor = TimeSpan.FromSeconds(1);

    /// <summary>The shortest warm-up (when it is on).</summary>
    public static readonly TimeSpan WarmupAtLeast = TimeSpan.FromSeconds(2);

    /// <summary>Engine instances in this process, as that many API nodes (separate connections and read models); workers are spread over them. Redis only.</summary>
    public int Nodes { get; init; } = 1;

    /// <summary>This process's number among <see cref="NodeCount"/> load processes against one Redis (0 alone).</summary>
    public int NodeId { get; init; }

    /// <summary>Load processes against one Redis (<c>--node-count</c>); each books with its own citizens. 1 alone.</summary>
    public int NodeCount { get; init; } = 1;

    /// <summary>The name every process of one multi-process run shares (its key prefix); null alone (a fresh prefix per run).</summary>
    public string? RunId { get; init; }

    /// <summary>Where to write the JSON report (and the SVG plot beside it).</summary>
    public string? JsonPath { get; init; }

    /// <summary>Where to write the web page (by default beside the JSON report), or <see langword="null"/>.</summary>
    public string? HtmlPath { get; init; }

    /// <summary>Plain progress lines even on a terminal.</summary>
    public bool Plain { get; init; }

    /// <summary>Whether the collector runs in <see cref="System.Runtime.GCLatencyMode.SustainedLowLatency"/> during the load.</summary>
    public bool SustainedLowLatency { get; init; }

    /// <summary>
    /// Whether the engine runs the life-after-booking rules: the audit stream, the call centre's per-call limit, the active
    /// cap, bars and approval (<c>--no-rules</c> turns them off in the engine only, the baseline for their cost: the
    /// generator still makes the same calls, see <see cref="LifecycleMix"/>).
    /// </summary>
    public bool Rules { get; init; } = true;

    /// <summary>
    /// With <see cref="Rules"/> on: the engine's rules turned off one at a time (<c>--rule-off audit|calls|cap|bars|approval</c>,
    /// repeatable), to measure each rule's cost against the same run with all of them on. The generator's calls do not change.
    /// </summary>
    public EngineRules RulesOff { get; init; }

    /// <summary>Whether the engine runs this rule: <see cref="Rules"/> on and the rule not in <see cref="RulesOff"/>.</summary>
    /// <param name="rule">The rule.</param>
    /// <returns>True when the engine enforces it.</returns>
    public bool RuleOn(EngineRules rule) => Rules && (RulesOff & rule) == 0;

    /// <summary>
    /// Whether the generator runs its side of the rules (<see cref="Run.LifecycleMix"/>): every claim dressed with an
    /// actor, a channel, a call id for the call centre and the citizen's attributes, the bar registry read before a claim,
    /// and an outcome recorded for a sample of bookings. On with <c>--no-rules</c>, so both runs make the same calls for
    /// the same citizens; <c>--no-lifecycle-mix</c> turns it off with the rules (the older, unequal baseline).
    /// </summary>
    public bool LifecycleMix { get; init; } = true;

    /// <summary>Whether citizens whose search finds nothing join the waitlist and answer its offers (<c>--no-waitlist</c> turns it off, the baseline for its cost; always off with <see cref="NodeCount"/> above 1).</summary>
    public bool Waitlist { get; init; } = true;

    /// <summary>Whether the release rush, reserved pools and admission rate of issue 12 are on (see <see cref="Run.RushScenario"/>); <c>--no-rush</c> turns them off.</summary>
    public bool Rush { get; init; } = true;

    /// <summary>
    /// With the rules on: the approval deadline of the nearest day that needs approval, this long after the start
    /// (<c>--approval-deadline-in</c>; <see cref="Run.ApprovalScenario"/>), so that deadlines pass during a Redis run;
    /// null for MHRS's 20:00 the day before.
    /// </summary>
    public TimeSpan? ApprovalDeadlineIn { get; init; }

    /// <summary>
    /// <c>--rules-ratio N</c>: run these settings N times with the rules and N times with <c>--no-rules</c> in this process,
    /// alternating, and report the ratios (<see cref="Run.RulesRatio"/>); 0 for one ordinary run.
    /// </summary>
    public int RulesRatioPairs { get; init; }

    /// <summary>
    /// With <see cref="RulesRatioPairs"/>: the bookings of each of the two unmeasured warm-up runs (rules on, then off)
    /// before the first pair; 0 for none (<c>--rules-ratio-warmup</c>).
    /// </summary>
    public long RulesRatioWarmupBookings { get; init; } = Run.RulesRatio.DefaultWarmupBookings;

    /// <summary>How long a citizen's hold lives.</summary>
    public TimeSpan HoldTtl { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Share of holders who confirm; the rest walk away and let the hold expire.</summary>
    public double ConfirmShare { get; init; } = 0.9;

    /// <summary>Share of bookings cancelled later.</summary>
    public double CancelShare { get; init; } = 0.05;

    /// <summary>Earliest starts a search asks for; the citizen picks one of them.</summary>
    public int Choices { get; init; } = 3;

    /// <summary>Searches a citizen makes at most before giving up (after Taken or quota refusals).</summary>
    public int MaxAttempts { get; init; } = 4;

    /// <summary>Slots per day of the template.</summary>
    public DayTemplate Template => SlotLength == TimeSpan.FromMinutes(10)
        ? DayTemplate.Standard
        : new DayTemplate([new Session(new TimeOnly(8, 0), new TimeOnly(12, 0)), new Session(new TimeOnly(13, 0), new TimeOnly(17, 0))], SlotLength);

    /// <summary>Seats in the country over the open days.</summary>
    public long TotalSeats => (long)Providers * DaysOpen * Template.SlotCount * Template.Capacity;
}

/// <summary>The engine's life-after-booking rules, as flags (<see cref="LoadSettings.RulesOff"/>).</summary>
[Flags]
internal enum EngineRules
{
    /// <summary>None.</summary>
    None = 0,

    /// <summary>The audit stream.</summary>
    Audit = 1,

    /// <summary>The call centre's per-call limit.</summary>
    CallLimit = 2,

    /// <summary>The active-appointment cap.</summary>
    ActiveCap = 4,

    /// <summary>Bars after a no-show.</summary>
    Bars = 8,

    /// <summary>Approval by a deadline.</summary>
    Approval = 16,
}
