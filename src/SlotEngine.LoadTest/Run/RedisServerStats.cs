using System.Globalization;
using System.Net;
using StackExchange.Redis;

namespace SlotEngine.LoadTest.Run;

/// <summary>One primary's counters at one moment: CPU seconds (user + system) and calls per command.</summary>
/// <param name="Endpoint">The primary's address.</param>
/// <param name="CpuSeconds"><c>used_cpu_user</c> + <c>used_cpu_sys</c> from <c>INFO cpu</c>.</param>
/// <param name="Calls">Calls per command (lower case) from <c>INFO commandstats</c>.</param>
internal sealed record ShardSample(string Endpoint, double CpuSeconds, IReadOnlyDictionary<string, long> Calls);

/// <summary>
/// The load generator's own small connection to the Redis the store uses (StackExchange.Redis), apart
/// from the engines' connections: it reads <c>INFO cpu</c> and <c>INFO commandstats</c> on every primary
/// before and after the load, maps a calendar to the shard that owns it, and carries the
/// coordination keys of several load processes (<c>--node-id</c>). It sends nothing on the engines'
/// connections and touches no key of the store.
/// </summary>
internal sealed class RedisServerStats : IAsyncDisposable
{
    private readonly ConnectionMultiplexer _connection;

    private RedisServerStats(ConnectionMultiplexer connection)
    {
        _connection = connection;
    }

    /// <summary>Connects with the <c>--redis</c> connection string (options StackExchange.Redis does not know are ignored).</summary>
    /// <param name="connectionString">host:port[,host:port...][,options].</param>
    /// <returns>The connection.</returns>
    public static async Task<RedisServerStats> ConnectAsync(string connectionString)
    {
        var options = ConfigurationOptions.Parse(connectionString, ignoreUnknown: true);
        options.AbortOnConnectFail = true;
        options.ClientName = "slotengine-load-stats";
        options.AllowAdmin = true; // StackExchange.Redis counts INFO among the admin commands
        var connection = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
        return new RedisServerStats(connection);
    }

    /// <summary>The primaries (one for a standalone server, one per shard in a cluster).</summary>
    public IReadOnlyList<IServer> Primaries =>
        [.. _connection.GetServers().Where(s => s.IsConnected && !s.IsReplica).OrderBy(s => s.EndPoint.ToString(), StringComparer.Ordinal)];

    /// <summary>Reads <c>INFO cpu</c> and <c>INFO commandstats</c> on every primary.</summary>
    /// <returns>One sample per primary.</returns>
    public async Task<IReadOnlyList<ShardSample>> SampleAsync()
    {
        var samples = new List<ShardSample>();
        foreach (var server in Primaries)
        {
            var cpu = await server.InfoRawAsync("cpu").ConfigureAwait(false) ?? string.Empty;
            var commands = await server.InfoRawAsync("commandstats").ConfigureAwait(false) ?? string.Empty;
            samples.Add(new ShardSample(Name(server.EndPoint), ParseCpuSeconds(cpu), ParseCommandStats(commands)));
        }

        return samples;
    }

    /// <summary>
    /// The primary that owns a calendar: the store keeps all of a calendar's keys under the hash tag
    /// <c>{p:&lt;provider&gt;:&lt;yyyymmdd&gt;}</c> (docs/redis.md, "Keys"), so its cluster slot is that tag's.
    /// </summary>
    /// <param name="calendar">The calendar.</param>
    /// <returns>The owner's address, or the one server's when not a cluster.</returns>
    public string ShardOf(CalendarKey calendar) => ShardOf(calendar, Primaries);

    private static string ShardOf(CalendarKey calendar, IReadOnlyList<IServer> primaries)
    {
        if (primaries.Count == 1)
        {
            return Name(primaries[0].EndPoint);
        }

        var tag = "{p:" + calendar.Provider.Value.ToString(CultureInfo.InvariantCulture) + ":" + calendar.Day.ToString("yyyyMMdd", CultureInfo.InvariantCulture) + "}";
        var node = primaries[0].ClusterConfiguration?.GetBySlot((RedisKey)tag);
        return node?.EndPoint is { } owner ? Name(owner) : "unknown";
    }

    /// <summary>Counts calendars' bookings by the shard that owns each calendar.</summary>
    /// <param name="calendars">The calendar of each booking.</param>
    /// <returns>Bookings per shard address.</returns>
    public SortedDictionary<string, long> BookingsByShard(IEnumerable<CalendarKey> calendars)
    {
        var byShard = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var primaries = Primaries;
        foreach (var primary in primaries)
        {
            byShard[Name(primary.EndPoint)] = 0;
        }

        var cache = new Dictionary<CalendarKey, string>();
        foreach (var calendar in calendars)
        {
            if (!cache.TryGetValue(calendar, out var shard))
            {
                shard = ShardOf(calendar, primaries);
                cache[calendar] = shard;
            }

            byShard[shard] = byShard.GetValueOrDefault(shard) + 1;
        }

        return byShard;
    }

    /// <summary>Sets a coordination key (with a day's expiry, so a run leaves nothing behind for long).</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <returns>A task.</returns>
    public Task SetAsync(string key, long value) => _connection.GetDatabase().StringSetAsync(key, value, TimeSpan.FromDays(1));

    /// <summary>Adds to a coordination counter; returns the new value.</summary>
    /// <param name="key">The key.</param>
    /// <param name="by">The amount.</param>
    /// <returns>The counter after the add.</returns>
    public async Task<long> AddAsync(string key, long by)
    {
        var db = _connection.GetDatabase();
        var value = await db.StringIncrementAsync(key, by).ConfigureAwait(false);
        await db.KeyExpireAsync(key, TimeSpan.FromDays(1)).ConfigureAwait(false);
        return value;
    }

    /// <summary>Reads a coordination key; 0 when absent.</summary>
    /// <param name="key">The key.</param>
    /// <returns>Its value.</returns>
    public async Task<long> GetAsync(string key)
    {
        var value = await _connection.GetDatabase().StringGetAsync(key).ConfigureAwait(false);
        return value.IsNull ? 0 : (long)value;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await _connection.DisposeAsync().ConfigureAwait(false);

    /// <summary><c>used_cpu_sys</c> + <c>used_cpu_user</c> of an <c>INFO cpu</c> reply (the main thread's and the rest's, in seconds).</summary>
    /// <param name="info">The reply.</param>
    /// <returns>Seconds.</returns>
    internal static double ParseCpuSeconds(string info)
    {
        double seconds = 0;
        foreach (var raw in info.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith("used_cpu_sys:", StringComparison.Ordinal) || line.StartsWith("used_cpu_user:", StringComparison.Ordinal))
            {
                seconds += double.Parse(line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture);
            }
        }

        return seconds;
    }

    /// <summary>Calls per command of an <c>INFO commandstats</c> reply (<c>cmdstat_evalsha:calls=12,usec=…</c>).</summary>
    /// <param name="info">The reply.</param>
    /// <returns>Command (lower case, subcommands as <c>client|setname</c>) to calls.</returns>
    internal static Dictionary<string, long> ParseCommandStats(string info)
    {
        var calls = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var raw in info.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (!line.StartsWith("cmdstat_", StringComparison.Ordinal))
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var at = line.IndexOf("calls=", colon, StringComparison.Ordinal);
            if (colon < 0 || at < 0)
            {
                continue;
            }

            at += "calls=".Length;
            var end = line.IndexOf(',', at);
            calls[line["cmdstat_".Length..colon]] = long.Parse(line.AsSpan(at, (end < 0 ? line.Length : end) - at), NumberStyles.None, CultureInfo.InvariantCulture);
        }

        return calls;
    }

    private static string Name(EndPoint endpoint) => endpoint switch
    {
        IPEndPoint ip => ip.ToString(),
        DnsEndPoint dns => dns.Host + ":" + dns.Port.ToString(CultureInfo.InvariantCulture),
        _ => endpoint.ToString() ?? "?",
    };
}
