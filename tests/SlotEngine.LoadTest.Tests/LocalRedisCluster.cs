using System.Diagnostics;
using System.Globalization;

namespace SlotEngine.LoadTest.Tests;

/// <summary>
/// Three cluster-enabled redis-servers of the test's own on free loopback ports, made one cluster of
/// three primaries (slots split in thirds, distinct config epochs, CLUSTER MEET), ready once every
/// node reports <c>cluster_state:ok</c> with three known nodes (polled, bounded).
/// </summary>
internal sealed class LocalRedisCluster : IAsyncDisposable
{
    private readonly LocalRedis[] _nodes;

    private LocalRedisCluster(LocalRedis[] nodes)
    {
        _nodes = nodes;
    }

    public string ConnectionString => string.Join(",", _nodes.Select(n => n.Endpoint));

    public IReadOnlyList<string> Endpoints => [.. _nodes.Select(n => n.Endpoint)];

    public static async Task<LocalRedisCluster> StartAsync()
    {
        var nodes = new LocalRedis[3];
        for (var i = 0; i < nodes.Length; i++)
        {
            nodes[i] = await LocalRedis.StartAsync(cluster: true);
        }

        var cluster = new LocalRedisCluster(nodes);
        try
        {
            (int From, int To)[] ranges = [(0, 5460), (5461, 10922), (10923, 16383)];
            for (var i = 0; i < nodes.Length; i++)
            {
                await Expect(nodes[i], $"CLUSTER SET-CONFIG-EPOCH {i + 1}");
                await Expect(nodes[i], string.Create(CultureInfo.InvariantCulture, $"CLUSTER ADDSLOTSRANGE {ranges[i].From} {ranges[i].To}"));
            }

            for (var i = 1; i < nodes.Length; i++)
            {
                await Expect(nodes[0], $"CLUSTER MEET 127.0.0.1 {nodes[i].Port} {nodes[i].BusPort}");
            }

            var deadline = Stopwatch.StartNew();
            while (true)
            {
                var ready = true;
                foreach (var node in nodes)
                {
                    var info = await node.SendAsync("CLUSTER INFO");
                    ready &= info.Contains("cluster_state:ok", StringComparison.Ordinal) && info.Contains("cluster_known_nodes:3", StringComparison.Ordinal);
                }

                if (ready)
                {
                    return cluster;
                }

                if (deadline.Elapsed > TimeSpan.FromSeconds(60))
                {
                    throw new InvalidOperationException("The three-primary cluster did not become ready.");
                }

                await Task.Delay(50); // poll interval
            }
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
    }

    private static async Task Expect(LocalRedis node, string command)
    {
        var reply = await node.SendAsync(command);
        if (!reply.StartsWith("+OK", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{command} on {node.Endpoint}: {reply}");
        }
    }
}
