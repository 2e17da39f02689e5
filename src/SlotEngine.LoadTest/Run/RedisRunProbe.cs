namespace SlotEngine.LoadTest.Run;

/// <summary>What a Redis run cost the Redis servers, per confirmed booking (the JSON's <c>redis</c> object).</summary>
internal sealed record RedisRunStats
{
    /// <summary>Engine instances (API nodes) in this process.</summary>
    public required int Nodes { get; init; }

    /// <summary>This process's node number and the number of load processes (<c>--node-id</c>, <c>--node-count</c>); 0 of 1 alone.</summary>
    public required (int Id, int Count) Process { get; init; }

    /// <summary>Primaries (1 standalone; one per shard in a cluster).</summary>
    public required int Shards { get; init; }

    /// <summary>
    /// Round trips to Redis per booking: the commands this process's engines sent and got a reply to, by
    /// the store's own meter (<c>slotengine.redis.round_trip.duration</c>, counted by its command tag), every
    /// node of this process. Not from INFO commandstats: Redis counts there every command a script runs
    /// too (an EVALSHA that does HGET, HSET and TIME counts four), which is <see cref="ServerCommandsPerBooking"/>.
    /// </summary>
    public required double RoundTripsPerBooking { get; init; }

    /// <summary>The same by command (lower case), per booking.</summary>
    public required SortedDictionary<string, double> RoundTripsByCommand { get; init; }

    /// <summary>Commands the primaries executed during the load (INFO commandstats after − before, all primaries, this tool's own INFO left out), per booking: round trips and the commands scripts ran inside them.</summary>
    public required double ServerCommandsPerBooking { get; init; }

    /// <summary>The same by command, per booking.</summary>
    public required SortedDictionary<string, double> ServerCommandsByCommand { get; init; }

    /// <summary>Redis CPU (used_cpu_user + used_cpu_sys, after − before, all primaries) per booking, µs.</summary>
    public required double ServerCpuMicrosPerBooking { get; init; }

    /// <summary>Read-model reloads per booking, or null when the store's meter publishes no reload instrument.</summary>
    public required double? ReloadsPerBooking { get; init; }

    /// <summary>Read-model staleness (change-feed lag) under the load, ms, over every node of this process; null without samples.</summary>
    public required (double P50, double P99, double Max, long Samples)? StalenessMs { get; init; }

    /// <summary>This process's bookings by the primary that owns their calendar.</summary>
    public required SortedDictionary<string, long> BookingsByShard { get; init; }

    /// <summary>
    /// With several load processes: bookings the other processes made during this one's load are in the
    /// server's counters too, so the per-booking server figures are over this process's bookings only
    /// when it ran alone. Says so in the report.
    /// </summary>
    public bool SharedServer => Process.Count > 1;
}

/// <summary>
/// Reads the Redis servers' counters before and after the load, and listens to the store's meter
/// during it; then turns them into <see cref="RedisRunStats"/>. Uses its own connection
/// (<see cref="RedisServerStats"/>), never the engines'.
/// </summary>
internal sealed class RedisRunProbe : IAsyncDisposable
{
    private IReadOnlyList<ShardSample> _before = [];
    private IReadOnlyList<ShardSample> _after = [];
    private RedisStoreMeters? _meters;
    private IReadOnlyDictionary<string, long> _clientRoundTrips = new Dictionary<string, long>();
    private Metrics.LatencyHistogram? _staleness;
    private long? _reloads;

    private RedisRunProbe(RedisServerStats server)
    {
        Server = server;
    }

    /// <summary>The connection (also used for the coordination keys of several processes).</summary>
    public RedisServerStats Server { get; }

    /// <summary>Connects.</summary>
    /// <param name="connectionString">The <c>--redis</c> connection string.</param>
    /// <returns>The probe.</returns>
    public static async Task<RedisRunProbe> ConnectAsync(string connectionString) =>
        new(await RedisServerStats.ConnectAsync(connectionString).ConfigureAwait(false));

    /// <summary>Samples the servers and starts listening to the store's meter; call just before the load.</summary>
    /// <returns>A task.</returns>
    public async Task BeginAsync()
    {
        _before = await Server.SampleAsync().ConfigureAwait(false);
        _meters = new RedisStoreMeters();
    }

    /// <summary>Stops listening and samples the servers again; call just after the load.</summary>
    /// <returns>A task.</returns>
    public async Task EndAsync()
    {
        if (_meters is not null)
        {
            _clientRoundTrips = _meters.RoundTrips;
            _staleness = _meters.Staleness;
            _reloads = _meters.Reloads;
            _meters.Dispose();
            _meters = null;
        }

        _after = await Server.SampleAsync().ConfigureAwait(false);
    }

    /// <summary>The figures per booking.</summary>
    /// <param name="bookings">Confirmed bookings of this process during the load.</param>
    /// <param name="nodes">Engine instances in this process.</param>
    /// <param name="process">This process's node number and the number of processes.</param>
    /// <param name="bookedCalendars">The calendar of each of this process's live bookings.</param>
    /// <returns>The stats.</returns>
    public RedisRunStats Result(long bookings, int nodes, (int Id, int Count) process, IEnumerable<CalendarKey> bookedCalendars)
    {
        var per = Math.Max(1, bookings);
        var calls = Delta(_before, _after);
        var cpu = _after.Sum(s => s.CpuSeconds) - _before.Sum(s => s.CpuSeconds);
        (double, double, double, long)? staleness = _staleness is { TotalCount: > 0 } h
            ? (h.ValueAtPercentile(50) / 1e6, h.ValueAtPercentile(99) / 1e6, h.Max / 1e6, h.TotalCount)
            : null;
        return new RedisRunStats
        {
            Nodes = nodes,
            Process = process,
            Shards = _after.Count,
            RoundTripsPerBooking = _clientRoundTrips.Values.Sum() / (double)per,
            RoundTripsByCommand = PerBooking(_clientRoundTrips, per),
            ServerCommandsPerBooking = calls.Values.Sum() / (double)per,
            ServerCommandsByCommand = PerBooking(calls, per),
            ServerCpuMicrosPerBooking = cpu * 1e6 / per,
            ReloadsPerBooking = _reloads is { } r ? r / (double)per : null,
            StalenessMs = staleness,
            BookingsByShard = Server.BookingsByShard(bookedCalendars),
        };
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _meters?.Dispose();
        await Server.DisposeAsync().ConfigureAwait(false);
    }

    private static SortedDictionary<string, double> PerBooking(IReadOnlyDictionary<string, long> counts, long bookings) =>
        new(counts.ToDictionary(c => c.Key, c => c.Value / (double)bookings), StringComparer.Ordinal);

    /// <summary>Calls per command between two samples, summed over primaries; this tool's own INFO calls left out.</summary>
    /// <param name="before">The first sample.</param>
    /// <param name="after">The second.</param>
    /// <returns>Command to calls (commands with none left out).</returns>
    internal static Dictionary<string, long> Delta(IReadOnlyList<ShardSample> before, IReadOnlyList<ShardSample> after)
    {
        var delta = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var shard in after)
        {
            var earlier = before.FirstOrDefault(b => b.Endpoint == shard.Endpoint)?.Calls;
            foreach (var (command, count) in shard.Calls)
            {
                if (command == "info")
                {
                    continue;
                }

                var d = count - (earlier?.GetValueOrDefault(command) ?? 0);
                if (d > 0)
                {
                    delta[command] = delta.GetValueOrDefault(command) + d;
                }
            }
        }

        return delta;
    }
}
