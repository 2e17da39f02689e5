using System.CommandLine;
using System.Globalization;

namespace SlotEngine.LoadTest.Cli;

/// <summary>
/// The command line: every option with its default, parsed by System.CommandLine and then checked
/// as a whole. Any mistake gives a message naming the option and exit code 2.
/// </summary>
internal sealed class LoadCommand
{
    /// <summary>Exit code for bad options.</summary>
    public const int BadOptions = 2;

    private readonly Option<int> _providers = new("--providers", "-p") { Description = "Providers (doctors) in the country.", DefaultValueFactory = _ => 150_000 };
    private readonly Option<int> _days = new("--days") { Description = "Days open for booking, from tomorrow.", DefaultValueFactory = _ => 15 };
    private readonly Option<int> _slotMinutes = new("--slot-minutes") { Description = "Slot length in minutes (5 to 60), sessions 08:00-12:00 and 13:00-17:00.", DefaultValueFactory = _ => 10 };
    private readonly Option<long?> _bookings = new("--bookings", "-n") { Description = "Stop after this many confirmed bookings. Default: 1700000 (MHRS's average day) with a 10s time limit, whichever comes first." };
    private readonly Option<string?> _duration = new("--duration", "-d") { Description = "Stop after this long of load (e.g. 30s, 2m, 00:01:30). With --bookings too: whichever comes first." };
    private readonly Option<int?> _concurrency = new("--concurrency", "-c") { Description = "Concurrent workers (citizens in flight) [default: cores for memory, 64 for redis]." };
    private readonly Option<double?> _rate = new("--rate") { Description = "Open loop: citizens arriving per second in total. Without it: closed loop, as fast as possible." };
    private readonly Option<long> _seed = new("--seed") { Description = "Seed of every random choice (country, citizens, choices).", DefaultValueFactory = _ => 42 };
    private readonly Option<int?> _citizens = new("--citizens") { Description = "Distinct citizens (national IDs) [default: 60% of the bookings target, 1000 to 1000000]." };
    private readonly Option<double> _rushShare = new("--rush-share") { Description = "Share of the load that arrives in the release rush (0 to 1).", DefaultValueFactory = _ => 0.3 };
    private readonly Option<string> _backend = new("--backend", "-b") { Description = "The engine: memory (embedded) or redis.", DefaultValueFactory = _ => "memory" };
    private readonly Option<string?> _redis = new("--redis") { Description = "Redis connection string for --backend redis: host:port[,host:port...][,options]." };
    private readonly Option<string> _redisThreads = new("--redis-threads") { Description = "Redis: who services the client's sockets: store (the store's own sockets, RedisSlotEngineOptions.StoreSockets: the thread that writes a command sends it, one reader thread per connection; the fewest thread wake-ups per booking), dedicated (StackExchange.Redis's own reader and writer thread per connection, its DedicatedThreads flag) or pool (the thread pool, StackExchange.Redis's default).", DefaultValueFactory = _ => "store" };
    private readonly Option<int?> _redisInFlight = new("--redis-scripts-in-flight") { Description = "Redis: the scripts each node has in flight at once (RedisSlotEngineOptions.MaxScriptsInFlight); 0: no bound [default: the store's, no bound]." };
    private readonly Option<int?> _poolSpin = new("--pool-spin-limit") { Description = "The thread pool's spin limit (System.Threading.ThreadPool.UnfairSemaphoreSpinLimit) for this process [default: 0 for redis: idle pool threads sleep at once instead of spinning between replies; the runtime's own for memory]. DOTNET_ThreadPool_UnfairSemaphoreSpinLimit in the environment wins." };
    private readonly Option<string?> _warmup = new("--warmup") { Description = "The longest warm-up before the measured load (e.g. 10s; 0 for none): workers of their own book until the JIT has compiled no method for 1 s (at least 2 s), so that the tiered compiler's recompiles of the booking path fall outside the measured window; its bookings are recounted, not reported per booking [default: 15s for redis, 0 for memory]." };
    private readonly Option<int> _nodes = new("--nodes") { Description = "Redis: engine instances in this process, as that many API nodes (own connections and read models); workers are spread over them.", DefaultValueFactory = _ => 1 };
    private readonly Option<int> _nodeId = new("--node-id") { Description = "Redis, several load processes: this process's number, 0 to --node-count - 1. Node 0 opens the days; every node books with its own citizens and recounts its own bookings.", DefaultValueFactory = _ => 0 };
    private readonly Option<int> _nodeCount = new("--node-count") { Description = "Redis, several load processes against one Redis: how many (each started with its own --node-id and the same --run-id and options).", DefaultValueFactory = _ => 1 };
    private readonly Option<string?> _runId = new("--run-id") { Description = "Redis, several load processes: a name they share (their key prefix). Needed with --node-count above 1." };
    private readonly Option<string?> _json = new("--json") { Description = "Write the JSON report here, and beside it (same name) the web page (.html), an SVG latency plot (.svg), an SVG of bookings and waitlist offers per second over the rush (.rush.svg) and HdrHistogram percentile files (.OPERATION.hgrm)." };
    private readonly Option<string?> _html = new("--html") { Description = "Write the run as a self-contained web page here [default: beside --json, same name, .html]." };
    private readonly Option<bool> _plain = new("--plain") { Description = "Plain progress lines instead of the live panel (automatic when output is redirected)." };
    private readonly Option<bool> _noRush = new("--no-rush") { Description = "Run without the release rush, reserved pools and per-patient admission rate (issue 12): the baseline for their cost." };
    private readonly Option<bool> _noRules = new("--no-rules") { Description = "Run the engine without the life-after-booking rules (audit stream, per-call limit, active cap, bars, approval): the baseline for their cost. The generator makes the same calls (actors, channels, call ids, outcomes)." };
    private readonly Option<string[]> _ruleOff = new("--rule-off") { Description = "Turn one of the engine's rules off (repeatable): audit, calls (the per-call limit), cap (the active cap), bars, approval; the generator makes the same calls. Each rule's cost against the run with all of them on.", AllowMultipleArgumentsPerToken = false };
    private readonly Option<bool> _noLifecycleMix = new("--no-lifecycle-mix") { Description = "With the rules off, the generator's side of them off too: claims not dressed with actors, channels and call ids, no outcomes recorded (the older --no-rules)." };
    private readonly Option<bool> _noWaitlist = new("--no-waitlist") { Description = "Run without the waitlist (no wishes registered when a search finds nothing, no offers): the baseline for its cost." };
    private readonly Option<string?> _approvalDeadlineIn = new("--approval-deadline-in") { Description = "Move the approval deadline of the nearest day that needs approval to this long after the start (e.g. 20s), so that deadlines pass during the run and the check after it judges them by the engine's clock (Redis TIME on Redis) [default: MHRS, 20:00 the day before]." };
    private readonly Option<long> _rulesRatioWarmup = new("--rules-ratio-warmup") { Description = "With --rules-ratio: before the first pair, one unmeasured run with the rules and one without, of this many bookings each (0 for none), so that the JIT's compiles and the process's first faults are not charged to pair 1's first run.", DefaultValueFactory = _ => Run.RulesRatio.DefaultWarmupBookings };
    private readonly Option<int> _rulesRatio = new("--rules-ratio") { Description = "Measure the rules' cost in one process: the same run N times with the engine's rules and N times with --no-rules, alternating (on, off, then off, on, ...), and report rules-on ÷ rules-off bookings/s and engine CPU per booking for each pair and their median. With --json X.json: each run's reports beside it (X.on-1.json, X.off-1.json, ...) and the summary in X.json. Memory backend only.", DefaultValueFactory = _ => 0 };
    private readonly Option<bool> _lowLatency = new("--low-latency") { Description = "GCLatencyMode.SustainedLowLatency during the load: no blocking full collections (needs concurrent GC: DOTNET_gcConcurrent=1)." };

    /// <summary>Creates the command.</summary>
    public LoadCommand()
    {
        _backend.AcceptOnlyFromAmong("memory", "redis");
        _redisThreads.AcceptOnlyFromAmong("store", "dedicated", "pool");
        Root = new RootCommand("slotengine-load: drives SlotEngine with a nationwide, MHRS-like appointment scenario and reports throughput, latency percentiles and an invariant check.")
        {
            _providers, _days, _slotMinutes, _bookings, _duration, _concurrency, _rate, _seed, _citizens, _rushShare, _backend, _redis, _redisThreads, _redisInFlight, _poolSpin, _warmup, _nodes, _nodeId, _nodeCount, _runId, _json, _html, _plain, _lowLatency, _noRules, _ruleOff, _noLifecycleMix, _rulesRatio, _rulesRatioWarmup, _noWaitlist, _noRush, _approvalDeadlineIn,
        };
    }

    /// <summary>The root command (actions are set by the program).</summary>
    public RootCommand Root { get; }

    /// <summary>The longest warm-up for <c>--backend redis</c> unless <c>--warmup</c> says otherwise.</summary>
    public static readonly TimeSpan DefaultRedisWarmup = TimeSpan.FromSeconds(15);

    /// <summary>The runtime's name of the thread pool's spin limit (runtimeconfig.json; <c>DOTNET_ThreadPool_UnfairSemaphoreSpinLimit</c>).</summary>
    public const string PoolSpinLimitSetting = "System.Threading.ThreadPool.UnfairSemaphoreSpinLimit";

    /// <summary>
    /// The thread pool's spin limit the run asks for (<c>--pool-spin-limit</c>; 0 for Redis by default), or null for the
    /// runtime's own. Read from the parse alone, so that the program can set it before the pool's first thread reads it.
    /// </summary>
    /// <param name="parse">The parse result.</param>
    /// <returns>The limit, or null.</returns>
    public int? PoolSpinLimit(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return parse.GetValue(_poolSpin) is { } limit ? Math.Max(0, limit)
            : parse.GetValue(_backend) == "redis" ? 0
            : null;
    }

    /// <summary>Turns parsed options into settings, or lists what is wrong.</summary>
    /// <param name="parse">The parse result (without parse errors).</param>
    /// <param name="errors">The problems, one per line, naming the option.</param>
    /// <returns>The settings, or <see langword="null"/>.</returns>
    public LoadSettings? Bind(ParseResult parse, out List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(parse);
        errors = [];
        var providers = parse.GetValue(_providers);
        var days = parse.GetValue(_days);
        var slotMinutes = parse.GetValue(_slotMinutes);
        var bookings = parse.GetValue(_bookings);
        var durationText = parse.GetValue(_duration);
        var rate = parse.GetValue(_rate);
        var rushShare = parse.GetValue(_rushShare);
        var backend = parse.GetValue(_backend) == "redis" ? BackendKind.Redis : BackendKind.Memory;
        var redis = parse.GetValue(_redis);
        var json = parse.GetValue(_json);
        var html = parse.GetValue(_html);

        if (providers < 81 || providers > ProviderId.MaxValue + 1)
        {
            errors.Add($"--providers must be from 81 (one per province) to {ProviderId.MaxValue + 1:N0}; it was {providers}.");
        }

        if (days < 1 || days > 365)
        {
            errors.Add($"--days must be from 1 to 365; it was {days}.");
        }

        if (slotMinutes < 5 || slotMinutes > 60)
        {
            errors.Add($"--slot-minutes must be from 5 to 60; it was {slotMinutes}.");
        }

        TimeSpan? duration = null;
        if (durationText is not null)
        {
            if (!TryParseDuration(durationText, out var d) || d <= TimeSpan.Zero || d > TimeSpan.FromHours(24))
            {
                errors.Add($"--duration must be a positive time up to 24 hours, like 30s, 2m or 00:01:30; it was '{durationText}'.");
            }
            else
            {
                duration = d;
            }
        }

        var warmup = backend == BackendKind.Redis ? DefaultRedisWarmup : TimeSpan.Zero;
        if (parse.GetValue(_warmup) is { } warmupText)
        {
            if (!TryParseDuration(warmupText, out var w) || w < TimeSpan.Zero || w > TimeSpan.FromHours(1))
            {
                errors.Add($"--warmup must be 0 or a time up to 1 hour, like 10s or 1m; it was '{warmupText}'.");
            }
            else
            {
                warmup = w;
            }
        }

        TimeSpan? approvalDeadlineIn = null;
        if (parse.GetValue(_approvalDeadlineIn) is { } deadlineText)
        {
            if (!TryParseDuration(deadlineText, out var a) || a <= TimeSpan.Zero || a > TimeSpan.FromHours(24))
            {
                errors.Add($"--approval-deadline-in must be a positive time up to 24 hours, like 20s or 2m; it was '{deadlineText}'.");
            }
            else
            {
                approvalDeadlineIn = a;
            }
        }

        var rulesOff = EngineRules.None;
        foreach (var name in parse.GetValue(_ruleOff) ?? [])
        {
            var rule = name switch
            {
                "audit" => EngineRules.Audit,
                "calls" => EngineRules.CallLimit,
                "cap" => EngineRules.ActiveCap,
                "bars" => EngineRules.Bars,
                "approval" => EngineRules.Approval,
                _ => EngineRules.None,
            };
            if (rule == EngineRules.None)
            {
                errors.Add($"--rule-off takes audit, calls, cap, bars or approval; it was '{name}'.");
            }

            rulesOff |= rule;
        }

        if (bookings is { } n && n < 1)
        {
            errors.Add($"--bookings must be at least 1; it was {n}.");
        }

        var concurrency = parse.GetValue(_concurrency) ?? (backend == BackendKind.Redis ? 64 : Environment.ProcessorCount);
        if (concurrency < 1 || concurrency > 4096)
        {
            errors.Add($"--concurrency must be from 1 to 4096; it was {concurrency}.");
        }

        if (rate is { } r && (r <= 0 || double.IsNaN(r) || double.IsInfinity(r)))
        {
            errors.Add($"--rate must be a positive number of citizens per second; it was {r}.");
        }

        if (rushShare < 0 || rushShare >= 1 || double.IsNaN(rushShare))
        {
            errors.Add($"--rush-share must be from 0 to below 1; it was {rushShare}.");
        }

        // Neither given: MHRS's day with a time limit. One given: that alone stops the run.
        long? target = bookings ?? (durationText is null ? LoadSettings.MhrsDay : null);
        if (bookings is null && durationText is null)
        {
            duration = LoadSettings.DefaultTimeLimit;
        }

        var citizens = parse.GetValue(_citizens) ?? (int)Math.Clamp(target is { } t ? t * 6 / 10 : 1_000_000, 1_000, 1_000_000);
        if (citizens < 81 || citizens > 50_000_000)
        {
            errors.Add($"--citizens must be from 81 (one per province) to 50,000,000; it was {citizens}.");
        }

        if (backend == BackendKind.Redis && string.IsNullOrWhiteSpace(redis))
        {
            errors.Add("--backend redis needs --redis \"host:port[,host:port...]\".");
        }

        if (backend == BackendKind.Memory && redis is not null)
        {
            errors.Add("--redis is only used with --backend redis.");
        }

        var nodes = parse.GetValue(_nodes);
        var nodeId = parse.GetValue(_nodeId);
        var nodeCount = parse.GetValue(_nodeCount);
        var runId = parse.GetValue(_runId);
        ValidateNodes(backend, nodes, nodeId, nodeCount, runId, concurrency, errors);

        foreach (var (name, path) in new[] { ("--json", json), ("--html", html) })
        {
            if (path is not null && !FolderExists(path))
            {
                errors.Add($"{name}: the folder of '{path}' does not exist.");
            }
        }

        var rulesRatio = parse.GetValue(_rulesRatio);
        if (rulesRatio < 0 || rulesRatio > 20)
        {
            errors.Add($"--rules-ratio must be from 0 to 20 pairs; it was {rulesRatio}.");
        }
        else if (rulesRatio > 0 && (backend != BackendKind.Memory || parse.GetValue(_noRules) || parse.GetValue(_noLifecycleMix) || rulesOff != EngineRules.None))
        {
            errors.Add("--rules-ratio runs the in-memory engine with all rules and with --no-rules itself: not with --backend redis, --no-rules, --rule-off or --no-lifecycle-mix.");
        }

        var rulesRatioWarmup = parse.GetValue(_rulesRatioWarmup);
        if (rulesRatioWarmup < 0)
        {
            errors.Add($"--rules-ratio-warmup must be 0 (none) or more bookings; it was {rulesRatioWarmup}.");
        }

        if (errors.Count > 0)
        {
            return null;
        }

        return new LoadSettings
        {
            Providers = providers,
            DaysOpen = days,
            SlotLength = TimeSpan.FromMinutes(slotMinutes),
            BookingsTarget = target,
            Duration = duration,
            Concurrency = concurrency,
            Rate = rate,
            Seed = parse.GetValue(_seed),
            Citizens = citizens,
            RushShare = rushShare,
            Backend = backend,
            RedisConnection = redis,
            RedisDedicatedThreads = parse.GetValue(_redisThreads) == "dedicated",
            RedisStoreSockets = parse.GetValue(_redisThreads) == "store",
            RedisScriptsInFlight = parse.GetValue(_redisInFlight),
            Warmup = warmup,
            Nodes = nodes,
            NodeId = nodeId,
            NodeCount = nodeCount,
            RunId = runId,
            JsonPath = json,
            HtmlPath = html ?? (json is null ? null : Path.ChangeExtension(json, ".html")),
            Plain = parse.GetValue(_plain),
            SustainedLowLatency = parse.GetValue(_lowLatency),
            Rules = !parse.GetValue(_noRules) && !parse.GetValue(_noLifecycleMix),
            RulesOff = rulesOff,
            LifecycleMix = !parse.GetValue(_noLifecycleMix),
            Waitlist = !parse.GetValue(_noWaitlist),
            Rush = !parse.GetValue(_noRush),
            ApprovalDeadlineIn = approvalDeadlineIn,
            RulesRatioPairs = rulesRatio,
            RulesRatioWarmupBookings = rulesRatioWarmup,
        };
    }

    /// <summary>Whether a file path's folder exists (the file need not).</summary>
    /// <param name="path">The path.</param>
    /// <returns>True when the file can be created there.</returns>
    internal static bool FolderExists(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return false;
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        return directory is null || Directory.Exists(directory);
    }

    /// <summary>Checks --nodes, --node-id, --node-count and --run-id together.</summary>
    private static void ValidateNodes(BackendKind backend, int nodes, int nodeId, int nodeCount, string? runId, int concurrency, List<string> errors)
    {
        if (nodes < 1 || nodes > 64)
        {
            errors.Add($"--nodes must be from 1 to 64; it was {nodes}.");
        }
        else if (nodes > 1 && backend != BackendKind.Redis)
        {
            errors.Add("--nodes above 1 needs --backend redis (in memory there is one engine).");
        }
        else if (nodes > concurrency)
        {
            errors.Add($"--nodes ({nodes}) must not exceed --concurrency ({concurrency}): every node needs a worker.");
        }

        if (nodeCount < 1 || nodeCount > 1024)
        {
            errors.Add($"--node-count must be from 1 to 1024; it was {nodeCount}.");
        }
        else if (nodeId < 0 || nodeId >= nodeCount)
        {
            errors.Add($"--node-id must be from 0 to --node-count - 1 ({nodeCount - 1}); it was {nodeId}.");
        }

        if (nodeCount > 1 && backend != BackendKind.Redis)
        {
            errors.Add("--node-count above 1 needs --backend redis (the processes share one Redis).");
        }

        if (nodeCount > 1 && string.IsNullOrWhiteSpace(runId))
        {
            errors.Add("--node-count above 1 needs --run-id NAME, the same for every process (their shared key prefix).");
        }

        if (runId is not null && (runId.Length is 0 or > 64 || runId.Any(c => !char.IsAsciiLetterOrDigit(c) && c is not '-' and not '_')))
        {
            errors.Add($"--run-id must be 1 to 64 letters, digits, '-' or '_'; it was '{runId}'.");
        }
    }

    /// <summary>Parses 30s, 2m, 1h, 500ms, a plain number of seconds, or hh:mm:ss.</summary>
    /// <param name="text">The text.</param>
    /// <param name="duration">The duration.</param>
    /// <returns>Whether it parsed.</returns>
    internal static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        text = text.Trim();
        (string Suffix, double Seconds)[] units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)];
        foreach (var (suffix, seconds) in units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) &&
                double.TryParse(text.AsSpan(0, text.Length - suffix.Length), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) &&
                !double.IsNaN(value) && !double.IsInfinity(value) && Math.Abs(value) < 1e7)
            {
                duration = TimeSpan.FromSeconds(value * seconds);
                return true;
            }
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var plain) && !double.IsNaN(plain) && !double.IsInfinity(plain) && Math.Abs(plain) < 1e7)
        {
            duration = TimeSpan.FromSeconds(plain);
            return true;
        }

        return text.Contains(':', StringComparison.Ordinal) && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out duration);
    }
}
