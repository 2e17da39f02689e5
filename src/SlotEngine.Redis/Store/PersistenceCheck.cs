using SlotEngine.Redis.Client;
using StackExchange.Redis;

namespace SlotEngine.Redis;

/// <summary>
/// The start-up look at what could lose calendars: no persistence at all (neither AOF nor RDB
/// snapshots) and a <c>maxmemory-policy</c> other than <c>noeviction</c> (calendar keys carry no TTL,
/// but quota and idempotency records do, and a <c>volatile-*</c> policy could evict them: a quota could
/// then be exceeded, a retried claim could book twice).
/// </summary>
internal static class PersistenceCheck
{
    public static async Task<IReadOnlyList<string>> RunAsync(StoreConnection redis, CancellationToken cancellationToken)
    {
        var warnings = new List<string>();
        try
        {
            var aof = await redis.ExecuteOnAllPrimariesAsync("CONFIG", ["GET", "appendonly"], cancellationToken).ConfigureAwait(false);
            var save = await redis.ExecuteOnAllPrimariesAsync("CONFIG", ["GET", "save"], cancellationToken).ConfigureAwait(false);
            var policy = await redis.ExecuteOnAllPrimariesAsync("CONFIG", ["GET", "maxmemory-policy"], cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < aof.Length; i++)
            {
                var appendOnly = ValueOf(aof[i]) == "yes";
                var snapshots = !string.IsNullOrWhiteSpace(ValueOf(save[i]));
                if (!appendOnly && !snapshots)
                {
                    warnings.Add($"Primary #{i + 1} has no persistence (appendonly no, save \"\"): a restart loses every calendar and booking.");
                }
                else if (!appendOnly)
                {
                    warnings.Add($"Primary #{i + 1} persists by RDB snapshots only: a restart loses the bookings since the last snapshot (use appendonly yes).");
                }

                var eviction = ValueOf(policy[i]);
                if (eviction != "noeviction")
                {
                    warnings.Add($"Primary #{i + 1} has maxmemory-policy {eviction}: keys may be evicted under memory pressure (quota and idempotency records carry TTLs, so even volatile-* policies are unsafe); use noeviction.");
                }
            }
        }
        catch (Exception e) when (e is RedisServerException or RedisCommandException)
        {
            // RedisCommandException: a shared multiplexer without allowAdmin=true (the store's own connections allow admin commands).
            warnings.Add("Could not read the persistence settings (CONFIG GET refused: " + e.Message + "); check appendonly and maxmemory-policy by hand.");
        }

        return warnings;
    }

    private static string? ValueOf(RedisReply reply) => reply.Count >= 2 ? reply[1].AsString() : null;
}
