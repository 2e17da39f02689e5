using System.Diagnostics;

namespace SlotEngine.Benchmarks.Redis;

/// <summary>
/// Three cluster-enabled primaries of the benchmark's own, joined with
/// <c>redis-cli --cluster create … --cluster-replicas 0 --cluster-yes</c> (as the tests' fixture does);
/// ready once every node says <c>cluster_state:ok</c>.
/// </summary>
internal sealed class LocalCluster : IAsyncDisposable
{
    private LocalCluster(IReadOnlyList<RedisServerProcess> nodes) => Nodes = nodes;

    public IReadOnlyList<RedisServerProcess> Nodes { get; }

    public string ConnectionString => string.Join(',', Nodes.Select(n => n.Endpoint));

    public static async Task<LocalCluster> StartAsync(int primaries)
    {
        var nodes = new List<RedisServerProcess>();
        var cluster = new LocalCluster(nodes);
        try
        {
            for (var i = 0; i < primaries; i++)
            {
                nodes.Add(await RedisServerProcess.StartAsync(cluster: true).ConfigureAwait(false));
            }

            var output = await RedisServerProcess.RunToolAsync(
                "redis-cli",
                ["--cluster", "create", .. nodes.Select(n => n.Endpoint), "--cluster-replicas", "0", "--cluster-yes"],
                TimeSpan.FromSeconds(60)).ConfigureAwait(false);
            var waited = Stopwatch.StartNew();
            while (!await AllOkAsync(nodes).ConfigureAwait(false))
            {
                if (waited.Elapsed > TimeSpan.FromSeconds(30))
                {
                    throw new InvalidOperationException("The cluster did not reach cluster_state:ok: " + output);
                }

                await Task.Delay(100).ConfigureAwait(false);
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task<long> CommandCallsAsync(string command)
    {
        long total = 0;
        foreach (var node in Nodes)
        {
            total += await node.CommandCallsAsync(command).ConfigureAwait(false);
        }

        return total;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task<bool> AllOkAsync(IEnumerable<RedisServerProcess> nodes)
    {
        foreach (var node in nodes)
        {
            if (!(await node.CliAsync("CLUSTER", "INFO").ConfigureAwait(false)).Contains("cluster_state:ok", StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}
