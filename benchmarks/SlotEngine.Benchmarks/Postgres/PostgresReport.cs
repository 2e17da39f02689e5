using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using SlotEngine.Benchmarks.Redis;
using SlotEngine.LoadTest.Scenario;

namespace SlotEngine.Benchmarks.Postgres;

/// <summary>
/// <c>--postgres [--providers N] [--days N] [--bookings N] [--seconds N] [--concurrency N] [--seed N] [--pool-spin-limit N]
/// [--warmup-seconds N] [--warmup-bookings N] [--redis-threads store|dedicated|pool] [--smoke]</c>:
/// the load generator's booking day (its country, citizens and demand; search → hold → confirm with
/// MHRS quotas) against four contenders in one run, one after another: SlotEngine in memory,
/// SlotEngine on Redis, and a PostgreSQL 15 row-per-slot design with durable commits and with
/// <c>synchronous_commit=off</c>. Each run is recounted (double bookings, quota violations, every
/// booking and hold against the store). Prints a markdown table. The servers (redis-server,
/// PostgreSQL) are started here on free loopback ports and stopped at the end.
/// <c>--smoke</c>: 200 providers, 2 days, 300 bookings — proves it runs (CI).
/// The whole process (every contender) runs with the thread pool's spin limit 0 unless <c>--pool-spin-limit N</c> says
/// otherwise (70 is the runtime's own); <c>DOTNET_ThreadPool_UnfairSemaphoreSpinLimit</c> in the environment wins.
/// Before its window each contender warms up (<see cref="BookingDay.Warmup"/>: citizens of its own, until the JIT is quiet;
/// none with <c>--smoke</c>), and the Redis client runs on StackExchange.Redis's dedicated threads, as the load generator's.
/// </summary>
internal static class PostgresReport
{
    /// <summary>The runtime's name of the thread pool's spin limit (runtimeconfig.json; the load generator sets the same).</summary>
    private const string PoolSpinLimitSetting = "System.Threading.ThreadPool.UnfairSemaphoreSpinLimit";

    /// <summary>The environment variable the runtime reads before <see cref="PoolSpinLimitSetting"/>.</summary>
    private const string PoolSpinLimitVariable = "DOTNET_ThreadPool_UnfairSemaphoreSpinLimit";

    public static async Task<int> RunAsync(string[] args)
    {
        // Before the first await, so before anything runs on the pool (it reads the limit when its first worker starts).
        // Pool threads spinning for work took about half the PostgreSQL peer's CPU on this 2-core machine (its server
        // processes lost the cores to them); the load generator runs Redis with 0 for the same reason. 0 for every
        // contender keeps the comparison fair (docs/benchmarks.md, --postgres).
        var spinLimit = SetPoolSpinLimit(args);
        var smoke = args.Contains("--smoke");
        var providers = Read(args, "--providers", smoke ? 200 : 2_000);
        var dayCount = Read(args, "--days", smoke ? 2 : 15);
        var bookings = Read(args, "--bookings", smoke ? 300 : 20_000);
        var seconds = Read(args, "--seconds", 30);
        var workers = Read(args, "--concurrency", 16);
        var redisWorkers = Read(args, "--redis-concurrency", workers);
        var redisThreads = ReadText(args, "--redis-threads") ?? "store"; // as the load generator's --redis-threads
        if (redisThreads is not ("store" or "dedicated" or "pool"))
        {
            Console.Error.WriteLine($"--redis-threads takes store, dedicated or pool, not {redisThreads}.");
            return 2;
        }

        var seed = Read(args, "--seed", 42);
        var warmupSeconds = Read(args, "--warmup-seconds", smoke ? 0 : 20);
        var warmupBookings = Read(args, "--warmup-bookings", smoke ? 0 : 100_000);
        var only = ReadText(args, "--only")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        bool Runs(string contender) => only is null || only.Contains(contender);
        var redisConfig = ReadText(args, "--redis-config");
        var redisServerArgs = ReadText(args, "--redis-server-args")?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [];

        var bin = PostgresServer.FindBinaries();
        if (bin is null)
        {
            Console.Error.WriteLine("--postgres needs PostgreSQL's server binaries (initdb, pg_ctl, postgres): apt-get install -y postgresql (Debian's PostgreSQL 15 puts them in /usr/lib/postgresql/15/bin).");
            return 2;
        }

        if (!RedisServerProcess.ToolsPresent())
        {
            Console.Error.WriteLine("--postgres runs SlotEngine on Redis beside PostgreSQL: it needs redis-server, redis-cli and redis-benchmark (apt-get install -y redis-server).");
            return 2;
        }

        var loadAtStart = File.ReadAllText("/proc/loadavg").Split(' ')[0];
        var whole = Stopwatch.StartNew();
        var map = NationalMap.Build(providers, seed);
        var hasher = new PatientKeyHasher(SHA256.HashData(Encoding.UTF8.GetBytes("slotengine-pgbench:" + seed)));
        var citizenCount = (int)Math.Clamp(bookings * 6 / 10, 1_000, 1_000_000);
        var citizens = CitizenPool.Create(citizenCount, map, hasher, seed);

        // The warm-up's own citizens: another block of national IDs (CitizenPool: 100000000 + seed mod 4e8 + n), so that the
        // window's patients start with their quotas untouched, as without a warm-up.
        var warmup = new BookingDay.Warmup(CitizenPool.Create(citizenCount, map, hasher, seed + 200_000_000), TimeSpan.FromSeconds(warmupSeconds), warmupBookings);
        var options = new SlotEngineOptions
        {
            BookingHorizonDays = Math.Max(15, dayCount),
            MaxOpenDaysPerProvider = Math.Max(64, dayCount + 2),
            PatientKeyHasher = hasher,
        };
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(TimeProvider.System.GetUtcNow(), options.TimeZone).DateTime);
        var days = Enumerable.Range(1, dayCount).Select(today.AddDays).ToArray();
        var template = DayTemplate.Standard;
        var limit = TimeSpan.FromSeconds(seconds);
        var runs = new List<BookingRun>();
        var setup = new List<string>();
        Console.Error.WriteLine($"country: {providers:N0} providers, {map.ClinicFacility.Count:N0} clinics, {map.FacilityCity.Count:N0} facilities; {dayCount} days × {template.SlotCount} slots; {citizenCount:N0} citizens; {workers} workers; up to {bookings:N0} bookings or {seconds} s per contender");
        setup.Add(warmupSeconds > 0 && warmupBookings > 0
            ? $"warm-up before each contender's window: {citizenCount:N0} citizens of its own, until the JIT compiled nothing for 1 s (at least 2 s and 5,000 bookings), at most {warmupSeconds} s or {warmupBookings:N0} bookings (--warmup-seconds, --warmup-bookings); recounted, not in the figures"
            : "no warm-up (--smoke, or --warmup-seconds or --warmup-bookings 0): each window includes its contender's first JIT compiles");

        if (Runs("memory"))
        {
            await using var memory = EngineBackend.InMemory(options);
            var took = await PublishAsync(memory, map, days, template).ConfigureAwait(false);
            setup.Add($"in memory: days opened in {took:0.0} s");
            runs.Add(await RunOneAsync(memory, map, citizens, days, workers, bookings, limit, seed, warmup).ConfigureAwait(false));
        }

        if (Runs("redis"))
        {
            // StackExchange.Redis's process-wide feature flag: its own reader and writer threads instead of the thread pool,
            // as the load generator runs it (--redis-threads, default dedicated) and docs/redis-scale.md advises API nodes to;
            // it touches nothing of Npgsql's. --redis-threads pool: the client's default.
            // store: the store's own sockets (RedisSlotEngineOptions.StoreSockets), the load generator's default.
            StackExchange.Redis.ConnectionMultiplexer.SetFeatureFlag("DedicatedThreads", redisThreads == "dedicated");
            setup.Add($"Redis client threads: {redisThreads switch { "store" => "store (the store's own sockets, RedisSlotEngineOptions.StoreSockets, the load generator's default)", "dedicated" => "dedicated (StackExchange.Redis's DedicatedThreads flag)", _ => "pool (the client's default)" }}");

            await using var redis = await EngineBackend.OnRedisAsync(options, redisConfig, redisServerArgs, args.Contains("--redis-shared-subscription"), args.Contains("--redis-own-session"), storeSockets: redisThreads == "store").ConfigureAwait(false);
            var took = await PublishAsync(redis, map, days, template).ConfigureAwait(false);
            setup.Add($"Redis: days opened in {took:0.0} s ({(long)providers * dayCount:N0} PublishAsync calls, 64 in flight)");
            runs.Add(await RunOneAsync(redis, map, citizens, days, redisWorkers, bookings, limit, seed, warmup).ConfigureAwait(false));
        }

        var version = "PostgreSQL not run";
        if (Runs("pg-durable") || Runs("pg-earliest") || Runs("pg-off"))
        {
            await using var server = await PostgresServer.StartAsync(bin, workers, ownSession: args.Contains("--pg-own-session")).ConfigureAwait(false);
            version = server.Version();
            // The design of issue 10 durable and with synchronous_commit=off; then search and hold in one call (off).
            foreach (var (synchronous, earliest, key) in new[] { (true, false, "pg-durable"), (false, true, "pg-earliest"), (false, false, "pg-off") })
            {
                if (!Runs(key))
                {
                    continue;
                }

                var clock = Stopwatch.StartNew();
                await using var pg = await PostgresBackend.CreateAsync(server, synchronous, workers, map, days, template.SlotCount, earliest).ConfigureAwait(false);
                setup.Add($"{pg.Name}: {(long)providers * dayCount * template.SlotCount:N0} slot rows loaded (COPY) and indexed in {clock.Elapsed.TotalSeconds:0.0} s");
                runs.Add(await RunOneAsync(pg, map, citizens, days, workers, bookings, limit, seed, warmup).ConfigureAwait(false));
            }

            setup.Add($"PostgreSQL data directory {server.Directory} on {FileSystemOf(server.Directory)}");
        }

        Print(runs, setup, args, version, whole.Elapsed, loadAtStart, spinLimit);
        return runs.All(r => r.Recount.DoubleBookings == 0 && r.Recount.QuotaViolations == 0 && r.Recount.OtherViolations == 0 && r.Bookings > 0) ? 0 : 1;
    }

    private static async Task<BookingRun> RunOneAsync(BookingBackend backend, NationalMap map, CitizenPool citizens, DateOnly[] days, int workers, long bookings, TimeSpan limit, long seed, BookingDay.Warmup warmup)
    {
        Console.Error.WriteLine($"running: {backend.Name}");
        var run = await BookingDay.RunAsync(backend, map, citizens, days, workers, bookings, limit, seed, warmup).ConfigureAwait(false);
        Console.Error.WriteLine($"  {run.Bookings:N0} bookings in {run.Seconds:0.00} s = {run.PerSecond:N0}/s; recount: {run.Recount.DoubleBookings} double bookings, {run.Recount.QuotaViolations} quota violations, {run.Recount.OtherViolations} other ({run.Recount.Problems})");
        return run;
    }

    private static async Task<double> PublishAsync(EngineBackend backend, NationalMap map, DateOnly[] days, DayTemplate template)
    {
        map.Register(backend.Engine.Directory);
        var clock = Stopwatch.StartNew();
        await Parallel.ForAsync(0, map.ProviderCount, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (p, ct) =>
        {
            foreach (var day in days)
            {
                await backend.Engine.PublishAsync(new ProviderId(p), day, template, ct).ConfigureAwait(false);
            }
        }).ConfigureAwait(false);
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Sets the thread pool's spin limit for the whole process (<c>--pool-spin-limit N</c>, 0 by default) and says which
    /// one holds: the runtime reads <c>DOTNET_ThreadPool_UnfairSemaphoreSpinLimit</c> before the app context.
    /// </summary>
    private static string SetPoolSpinLimit(string[] args)
    {
        var limit = Math.Max(0, Read(args, "--pool-spin-limit", 0));
        AppContext.SetData(PoolSpinLimitSetting, limit.ToString(CultureInfo.InvariantCulture));
        var fromEnvironment = Environment.GetEnvironmentVariable(PoolSpinLimitVariable);
        return fromEnvironment is not null
            ? $"{PoolSpinLimitVariable}={fromEnvironment} from the environment (it wins over --pool-spin-limit {limit})"
            : $"{limit} for the whole process ({(ReadText(args, "--pool-spin-limit") is null ? "the default for --postgres" : "--pool-spin-limit")}; the runtime's own is 70 on x64)";
    }

    private static void Print(List<BookingRun> runs, List<string> setup, string[] args, string version, TimeSpan took, string loadAtStart, string spinLimit)
    {
        var peer = runs[^1].PerSecond;
        Console.WriteLine($"Booking day, side by side: `dotnet run -c Release --project benchmarks/SlotEngine.Benchmarks -- {string.Join(' ', args)}`");
        Console.WriteLine($"machine: nproc {Environment.ProcessorCount}, {CpuModel()}, .NET {RuntimeInformation.FrameworkDescription}; {version}; Npgsql {typeof(Npgsql.NpgsqlConnection).Assembly.GetName().Version}");
        Console.WriteLine($"load average {loadAtStart} at start, {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at end; whole run {took.TotalSeconds:0} s");
        Console.WriteLine($"thread pool spin limit (UnfairSemaphoreSpinLimit): {spinLimit}");
        Console.WriteLine();
        Console.WriteLine("| contender | bookings | bookings/s | × PG sync off | client CPU µs/booking | server CPU µs/booking | round trips/booking | server commands/booking | reloads/booking | booking p50 ms | p99 ms | holds taken / quota refusals | double bookings | quota violations | other violations |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in runs)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Name} | {r.Bookings:N0} | {r.PerSecond:N0} | {r.PerSecond / peer:0.00}× | {r.ClientCpuMicrosPerBooking:N0} | {Opt(r.ServerCpuMicrosPerBooking, "N0", "— (in process)")} | {Opt(r.RoundTripsPerBooking, "0.00", "0")} | {Opt(r.ServerCommandsPerBooking, "0.00", "0")} | {Opt(r.ReloadsPerBooking, "0.00", "—")} | {r.P50Ms:0.000} | {r.P99Ms:0.000} | {r.HoldsTaken:N0} / {r.QuotaRefusals:N0} | {r.Recount.DoubleBookings} | {r.Recount.QuotaViolations} | {r.Recount.OtherViolations} |"));
        }

        Console.WriteLine();
        Console.WriteLine("Transport per booking (socket writes: TCP segments with data sent on the server's loopback connections, `data_segs_out` of `ss -tin`, by the client's and the server's ends; context switches of the benchmark process's threads and of the server's processes, from /proc/<pid>/task/*/status; system CPU, the kernel's part of the CPU figures above, from the benchmark's own process and /proc/<pid>/stat of the server's):");
        Console.WriteLine();
        Console.WriteLine("| contender | round trips | client socket writes | server socket writes | round trips per client write | client context switches | server context switches | client system CPU µs | server system CPU µs |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in runs.Where(r => r.Transport != default))
        {
            var n = (double)Math.Max(1, r.Bookings);
            var t = r.Transport;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Name} | {r.RoundTripsPerBooking ?? 0:0.00} | {t.ClientSegments / n:0.00} | {t.ServerSegments / n:0.00} | {(r.RoundTripsPerBooking ?? 0) * n / Math.Max(1, t.ClientSegments):0.00} | {t.ClientSwitches / n:0.00} | {t.ServerSwitches / n:0.00} | {t.ClientSystemMicros / n:0} | {t.ServerSystemMicros / n:0} |"));
        }

        Console.WriteLine();
        Console.WriteLine("Where a booking's wall time goes (the measured window; a worker's µs per booking = workers × seconds ÷ bookings; per step: its calls per booking, p50 / p99 µs of one call, and µs per booking in it; other: the loop between calls, holds walked away from, and waiting for a core; the JIT's compile time, the collections and the thread pool's work items in the window):");
        Console.WriteLine();
        Console.WriteLine("| contender | warm-up bookings | µs per booking per worker | search: calls, p50 / p99 µs, µs | hold: calls, p50 / p99 µs, µs | confirm: calls, p50 / p99 µs, µs | other µs | JIT ms / methods | gen0 / gen1 / gen2 | pool work items per booking |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in runs.Where(r => r.Wall is not null))
        {
            var w = r.Wall!;
            static string Step(StepTimes s) => string.Create(CultureInfo.InvariantCulture, $"{s.CallsPerBooking:0.00}, {s.P50Micros:N0} / {s.P99Micros:N0}, {s.MicrosPerBooking:N0}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Name} | {w.WarmupBookings:N0} | {w.MicrosPerBookingPerWorker:N0} | {Step(w.Search)} | {Step(w.Hold)} | {Step(w.Confirm)} | {w.OtherMicrosPerBooking:N0} | {w.JitMillis:N0} / {w.JitMethods:N0} | {w.Gen0} / {w.Gen1} / {w.Gen2} | {w.PoolItemsPerBooking:0.00} |"));
        }

        Console.WriteLine();
        Console.WriteLine("- round trips: requests sent and answered (PostgreSQL: statements, counted by the client; Redis: commands, by the store's own meter). Server commands: Redis INFO commandstats, which counts the commands a script runs too; for PostgreSQL the statements again. Server CPU: PostgreSQL from /proc/<pid>/stat of the postmaster and its children (utime + stime, before and after); Redis from INFO cpu (used_cpu_user + used_cpu_sys).");
        foreach (var line in setup)
        {
            Console.WriteLine("- " + line);
        }

        foreach (var r in runs.Where(r => r.Wall is { RoundTripsByCommand.Length: > 0 }))
        {
            Console.WriteLine($"- {r.Name}: round trips per booking by command (the store's meter): {r.Wall!.RoundTripsByCommand}");
        }

        foreach (var r in runs)
        {
            Console.WriteLine($"- {r.Name}: {r.Notes}; recount {r.Recount.LedgerBookings:N0} client bookings vs {r.Recount.StoreBookings:N0} booked in the store{(r.Recount.Problems.Length > 0 ? "; problems: " + r.Recount.Problems : string.Empty)}");
        }
    }

    private static string Opt(double? value, string format, string none) => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : none;

    private static string? ReadText(string[] args, string name)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }

    private static int Read(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string CpuModel() =>
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";

    /// <summary>The mount (device and type) a path lives on, longest mount point first, from /proc/mounts.</summary>
    private static string FileSystemOf(string path) =>
        File.ReadLines("/proc/mounts").Select(l => l.Split(' ')).Where(f => f.Length > 2 && path.StartsWith(f[1], StringComparison.Ordinal))
            .OrderByDescending(f => f[1].Length).Select(f => $"{f[0]} ({f[2]}, mounted on {f[1]})").FirstOrDefault() ?? "unknown file system";
}
