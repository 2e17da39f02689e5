namespace SlotEngine.TestSupport;

/// <summary>A primary and a replica of it, both our own processes; waits until the replica is in sync.</summary>
public sealed class RedisReplicaPair : IAsyncDisposable
{
    private RedisReplicaPair(RedisServer primary, RedisServer replica, TcpFaultProxy? link)
    {
        Primary = primary;
        Replica = replica;
        Link = link;
    }

    /// <summary>The proxy the replica replicates through (when started with a proxied link), to stall or cut replication.</summary>
    public TcpFaultProxy? Link { get; }

    public RedisServer Primary { get; }

    public RedisServer Replica { get; }

    /// <param name="options">The settings of both servers.</param>
    /// <param name="proxiedLink">Replicate through a <see cref="TcpFaultProxy"/> (<see cref="Link"/>), so a test can stall the link.</param>
    public static async Task<RedisReplicaPair> StartAsync(RedisServerOptions? options = null, bool proxiedLink = false)
    {
        options ??= new RedisServerOptions();
        var primary = await RedisServer.StartAsync(options);
        RedisServer? replica = null;
        var link = proxiedLink ? new TcpFaultProxy(primary.Port) : null;
        try
        {
            replica = await RedisServer.StartAsync(options with { ReplicaOf = link?.Port ?? primary.Port });
            await Eventually.TrueAsync(
                async () => (await replica.CliAsync("INFO", "replication")).Contains("master_link_status:up", StringComparison.Ordinal),
                "the replica to sync with its primary");
            return new RedisReplicaPair(primary, replica, link);
        }
        catch
        {
            if (link is not null)
            {
                await link.DisposeAsync();
            }

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
        if (Link is not null)
        {
            await Link.DisposeAsync();
        }

        await Primary.DisposeAsync();
    }
}
