namespace SlotEngine.TestSupport;

/// <summary>A primary and a replica of it, both our own processes; waits until the replica is in sync.</summary>
public sealed class RedisReplicaPair : IAsyncDisposable
{
    private RedisReplicaPair(RedisServer primary, RedisServer replica)
    {
        Primary = primary;
        Replica = replica;
    }

    public RedisServer Primary { get; }

    public RedisServer Replica { get; }

    public static async Task<RedisReplicaPair> StartAsync(RedisServerOptions? options = null)
    {
        options ??= new RedisServerOptions();
        var primary = await RedisServer.StartAsync(options);
        RedisServer? replica = null;
        try
        {
            replica = await RedisServer.StartAsync(options with { ReplicaOf = primary.Port });
            await Eventually.TrueAsync(
                async () => (await replica.CliAsync("INFO", "replication")).Contains("master_link_status:up", StringComparison.Ordinal),
                "the replica to sync with its primary");
            return new RedisReplicaPair(primary, replica);
        }
        catch
        {
            if (replica is not null)
            {
                await replica.DisposeAsync();
            }

            await primary.DisposeAsync();
            throw;
        }
    }

    /// <summary>Makes the replica a primary (REPLICAOF NO ONE), as a failover would.</summary>
    public async Task PromoteReplicaAsync()
    {
        await Replica.CliAsync("REPLICAOF", "NO", "ONE");
        await Eventually.TrueAsync(
            async () => (await Replica.CliAsync("ROLE")).StartsWith("master", StringComparison.Ordinal),
            "the replica to report the master role");
    }

    public async ValueTask DisposeAsync()
    {
        await Replica.DisposeAsync();
        await Primary.DisposeAsync();
    }
}
