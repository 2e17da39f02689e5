namespace SlotEngine.TestSupport;

/// <summary>
/// Three cluster-enabled primaries of our own, joined with <c>redis-cli --cluster create … --cluster-replicas 0</c>;
/// ready once every node reports <c>cluster_state:ok</c> and agrees on the slot map.
/// </summary>
public sealed class RedisCluster : IAsyncDisposable
{
    private RedisCluster(IReadOnlyList<RedisServer> nodes) => Nodes = nodes;

    public IReadOnlyList<RedisServer> Nodes { get; }

    public string ConnectionString => string.Join(',', Nodes.Select(n => n.Endpoint));

    public static async Task<RedisCluster> StartAsync()
    {
        var nodes = new List<RedisServer>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                nodes.Add(await RedisServer.StartAsync(new RedisServerOptions { ClusterEnabled = true }));
            }

            var create = new List<string> { "--cluster", "create" };
            create.AddRange(nodes.Select(n => n.Endpoint));
            create.AddRange(["--cluster-replicas", "0", "--cluster-yes"]);
            await RedisTools.RunCliAsync(create, TimeSpan.FromSeconds(60));
            var cluster = new RedisCluster(nodes);
            await cluster.WaitUntilConsistentAsync();
            return cluster;
        }
        catch
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>Waits until every node says cluster_state:ok and all hold the same slot map.</summary>
    public async Task WaitUntilConsistentAsync()
    {
        await Eventually.TrueAsync(
            async () =>
            {
                string? first = null;
                foreach (var node in Nodes)
                {
                    if (!(await node.CliAsync("CLUSTER", "INFO")).Contains("cluster_state:ok", StringComparison.Ordinal))
                    {
                        return false;
                    }

                    var map = SlotMap(await node.CliAsync("CLUSTER", "NODES"));
                    first ??= map;
                    if (first != map)
                    {
                        return false;
                    }
                }

                return true;
            },
            "cluster_state:ok and one slot map on every node");
    }

    /// <summary>"port:range" of every primary's slots, sorted: the same text on every node once they agree.</summary>
    private static string SlotMap(string clusterNodes)
    {
        var entries = new List<string>();
        foreach (var line in clusterNodes.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Trim().Split(' ');
            if (fields.Length < 9 || !fields[2].Contains("master", StringComparison.Ordinal))
            {
                continue;
            }

            var port = fields[1].Split('@')[0].Split(':')[1];
            entries.AddRange(fields.Skip(8).Where(r => !r.StartsWith('[')).Select(r => port + ":" + r));
        }

        entries.Sort(StringComparer.Ordinal);
        return string.Join(',', entries);
    }

    /// <summary>
    /// Starts moving <paramref name="slot"/> from <paramref name="source"/> to <paramref name="target"/>, as
    /// <c>redis-cli --cluster reshard</c> does: IMPORTING on the target, then MIGRATING on the source. Keys
    /// already in the slot are the caller's to MIGRATE; <see cref="FinishSlotMigrationAsync"/> ends the move.
    /// </summary>
    public async Task BeginSlotMigrationAsync(int slot, RedisServer source, RedisServer target)
    {
        var slotText = slot.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await target.CliAsync("CLUSTER", "SETSLOT", slotText, "IMPORTING", await NodeIdAsync(source));
        await source.CliAsync("CLUSTER", "SETSLOT", slotText, "MIGRATING", await NodeIdAsync(target));
    }

    /// <summary>
    /// Gives <paramref name="slot"/> to <paramref name="target"/> on every node, the target first, and waits
    /// until all agree. The target must be importing the slot (<see cref="BeginSlotMigrationAsync"/>): only then
    /// does SETSLOT NODE raise its config epoch above every other node's. Without that, a target with a lower
    /// epoch than the old owner's is told by the gossip of any node not yet switched over that the old owner
    /// holds the slot (an UPDATE message), takes that back, and the nodes never agree again.
    /// </summary>
    public async Task FinishSlotMigrationAsync(int slot, RedisServer source, RedisServer target)
    {
        var slotText = slot.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var targetId = await NodeIdAsync(target);
        foreach (var node in new[] { target, source }.Concat(Nodes.Where(n => n != source && n != target)))
        {
            await node.CliAsync("CLUSTER", "SETSLOT", slotText, "NODE", targetId);
        }

        await WaitUntilConsistentAsync();
    }

    public async Task<string> NodeIdAsync(RedisServer node) => (await node.CliAsync("CLUSTER", "MYID")).Trim();

    /// <summary>The node that serves <paramref name="slot"/> (asked of the first node).</summary>
    public async Task<RedisServer> OwnerOfAsync(int slot)
    {
        var lines = (await Nodes[0].CliAsync("CLUSTER", "NODES")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var line in lines)
        {
            var fields = line.Split(' ');
            if (!fields[2].Contains("master", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var range in fields.Skip(8))
            {
                if (range.StartsWith('['))
                {
                    continue; // a migration marker
                }

                var bounds = range.Split('-');
                var low = int.Parse(bounds[0], System.Globalization.CultureInfo.InvariantCulture);
                var high = bounds.Length > 1 ? int.Parse(bounds[1], System.Globalization.CultureInfo.InvariantCulture) : low;
                if (slot >= low && slot <= high)
                {
                    var port = int.Parse(fields[1].Split('@')[0].Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
                    return Nodes.Single(n => n.Port == port);
                }
            }
        }

        throw new InvalidOperationException($"No node serves slot {slot}.");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.DisposeAsync();
        }
    }
}
