using System.Globalization;
using SlotEngine.Benchmarks.Redis;
using SlotEngine.LoadTest.Run;
using SlotEngine.Redis;

namespace SlotEngine.Benchmarks.Postgres;

/// <summary>
/// SlotEngine through its public <see cref="ISlotEngine"/> API: in memory, or on Redis
/// (<see cref="RedisSlotEngine.ConnectAsync"/> against the benchmark's own redis-server). The
/// recount is the load generator's <see cref="InvariantChecker"/>.
/// </summary>
internal sealed class EngineBackend : BookingBackend
{
    private readonly ISlotEngine _engine;
    private readonly RedisServerProcess? _redis;
    private readonly RedisStoreMeters? _meters;

    private EngineBackend(ISlotEngine engine, RedisServerProcess? redis, string name, string notes)
    {
        _engine = engine;
        _redis = redis;

        // Round trips by the store's own meter: INFO commandstats also counts the commands scripts run.
        _meters = redis is null ? null : new RedisStoreMeters();
        Name = name;
        Notes = notes;
    }

    public override string Name { get; }

    public override string Notes { get; }

    public ISlotEngine Engine => _engine;

    public static EngineBackend InMemory(SlotEngineOptions options) =>
        new(new InMemorySlotEngine(options), null, "SlotEngine in memory (InMemorySlotEngine)", "lock-free bitmaps in this process; no I/O");

    /// <summary>On a redis-server of its own (<paramref name="serverArgs"/> added to its command line), connected with its endpoint plus <paramref name="config"/> (StackExchange.Redis options, e.g. <c>,protocol=resp3</c>).</summary>
    /// <param name="sharedSubscription">Under RESP3, pub/sub on the interactive connection.</param>
    /// <param name="ownSession">redis-server in a session of its own rather than the benchmark's (see <see cref="RedisServerProcess"/>).</param>
    /// <param name="storeSockets">The store's own sockets (<see cref="RedisSlotEngineOptions.StoreSockets"/>).</param>
    public static async Task<EngineBackend> OnRedisAsync(SlotEngineOptions options, string? config = null, IReadOnlyList<string>? serverArgs = null, bool sharedSubscription = false, bool ownSession = false, bool storeSockets = false)
    {
        var server = await RedisServerProcess.StartAsync(extraArgs: serverArgs, ownSession: ownSession).ConfigureAwait(false);
        try
        {
            var engine = await RedisSlotEngine.ConnectAsync(new RedisSlotEngineOptions
            {
                Configuration = Configure(server.Endpoint + (config ?? string.Empty), sharedSubscription),
                Engine = options,
                KeyPrefix = "bk:",
                PersistenceCheck = PersistenceCheckMode.Off,
                StoreSockets = storeSockets,
            }).ConfigureAwait(false);
            return new EngineBackend(engine, server, "SlotEngine on Redis (RedisSlotEngine, one redis-server, no persistence)", "scripts per calendar, change feed, read model kept by deltas; on StackExchange.Redis");
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public override async ValueTask<int> SearchAsync(int city, int branch, DateOnly from, DateOnly to, Candidate[] into)
    {
        var starts = await _engine.FindEarliestAsync(EarliestQuery.ForCityBranch(new CityCode(city), new BranchId(branch), from, to, length: 1, count: into.Length)).ConfigureAwait(false);
        var count = Math.Min(starts.Count, into.Length);
        for (var i = 0; i < count; i++)
        {
            into[i] = new Candidate(starts[i].Calendar.Provider.Value, starts[i].Calendar.Day, starts[i].Slots.First);
        }

        return count;
    }

    public override async ValueTask<HoldResult> HoldAsync(Candidate candidate, PatientKey patient, TimeSpan ttl)
    {
        var result = await _engine.ClaimAsync(ClaimRequest.Hold(new CalendarKey(new ProviderId(candidate.Provider), candidate.Day), SlotRange.Single(candidate.Slot), patient, ttl)).ConfigureAwait(false);
        return result.Status switch
        {
            ClaimStatus.Succeeded => new HoldResult(HoldStatus.Held, result.Reservation.Token, result.Reservation),
            ClaimStatus.Taken => new HoldResult(HoldStatus.Taken, 0, default),
            ClaimStatus.QuotaExceeded => new HoldResult(HoldStatus.Quota, 0, default),
            _ => new HoldResult(HoldStatus.Other, 0, default),
        };
    }

    public override async ValueTask<(bool Booked, long Token, Reservation Booking)> ConfirmAsync(Candidate candidate, HoldResult hold)
    {
        var result = await _engine.ConfirmAsync(hold.Reservation).ConfigureAwait(false);
        return (result.Succeeded, result.Reservation.Token, result.Reservation);
    }

    public override async ValueTask<ServerSample> SampleAsync()
    {
        if (_redis is null)
        {
            return default;
        }

        var cpu = await _redis.CliAsync("INFO", "cpu").ConfigureAwait(false);
        var commands = await _redis.CliAsync("INFO", "commandstats").ConfigureAwait(false);
        var byCommand = _meters!.RoundTrips.ToDictionary(c => c.Key, c => c.Value);
        return new ServerSample(Field(cpu, "used_cpu_sys") + Field(cpu, "used_cpu_user"), byCommand.Values.Sum(), Calls(commands), ((RedisSlotEngine)_engine).Feed.Reloads, ProcCounters.Sample(_redis.Port, [_redis.Pid]), byCommand);
    }

    public override async Task<Recount> RecountAsync(IReadOnlyList<ClaimRecord> bookings, IReadOnlyList<ClaimRecord> walkAways)
    {
        var ledger = bookings.Select(b => new LedgerEntry(b.Reservation, LedgerState.Booked))
            .Concat(walkAways.Select(w => new LedgerEntry(w.Reservation, LedgerState.WalkedAway)));
        var report = await InvariantChecker.CheckAsync(_engine, ledger, _engine.Options.Quotas, window: null).ConfigureAwait(false);
        var quota = report.Problems.Where(p => p.Key.StartsWith("quota_exceeded", StringComparison.Ordinal)).Sum(p => p.Value);
        return new Recount(report.LedgerBookings, report.EngineBookedSeats, report.DoubleBookings, quota, report.Violations - quota,
            string.Join(", ", report.Problems.Select(p => $"{p.Key} {p.Value}")));
    }

    public override async ValueTask DisposeAsync()
    {
        _meters?.Dispose();
        if (_engine is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync().ConfigureAwait(false);
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static StackExchange.Redis.ConfigurationOptions Configure(string connection, bool sharedSubscription)
    {
        var configuration = StackExchange.Redis.ConfigurationOptions.Parse(connection);
        if (sharedSubscription)
        {
            configuration.SharedSubscriptionConnection = true; // else whatever --redis-config said
        }
        return configuration;
    }

    /// <summary>A numeric field of an INFO section (<c>name:value</c> lines).</summary>
    private static double Field(string info, string name)
    {
        foreach (var line in info.Split('\n'))
        {
            if (line.StartsWith(name + ":", StringComparison.Ordinal))
            {
                return double.Parse(line[(name.Length + 1)..].Trim(), CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    /// <summary>Every command's calls in INFO commandstats, but INFO's own (the benchmark's readings).</summary>
    private static long Calls(string info)
    {
        long calls = 0;
        foreach (var line in info.Split('\n'))
        {
            if (line.StartsWith("cmdstat_", StringComparison.Ordinal) && !line.StartsWith("cmdstat_info:", StringComparison.Ordinal) && !line.StartsWith("cmdstat_command", StringComparison.Ordinal))
            {
                var at = line.IndexOf(":calls=", StringComparison.Ordinal) + ":calls=".Length;
                calls += long.Parse(line[at..line.IndexOf(',', at)], CultureInfo.InvariantCulture);
            }
        }

        return calls;
    }
}
