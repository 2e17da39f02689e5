using System.Net;
using SlotEngine.Redis.Transport.Cluster;

namespace SlotEngine.Redis.Transport;

internal sealed partial class RedisConnection
{
    /// <summary>The current topology with a connection per primary; replaced whole on refresh (one volatile write).</summary>
    private ClusterRoute? _route;

    /// <summary>The running topology refresh, shared by everyone who asks while it runs; guarded by <see cref="_refreshLock"/>.</summary>
    private Task? _refresh;
    private readonly Lock _refreshLock = new();

    /// <summary>How many MOVED/ASK redirects have been followed (for tests and diagnostics); only ever incremented.</summary>
    private int _redirects;

    internal int RedirectsFollowed => Volatile.Read(ref _redirects);

    private ClusterRoute CurrentRoute => Volatile.Read(ref _route) ?? throw new InvalidOperationException("The cluster topology is not loaded.");

    /// <summary>The cluster's topology as last loaded (for tests and diagnostics).</summary>
    internal ClusterTopology? Topology => Volatile.Read(ref _route)?.Topology;

    /// <summary>
    /// Sends a command to the node for <paramref name="slot"/> and follows redirects: <c>MOVED</c> (send to
    /// the new owner, refresh the topology in the background), <c>ASK</c> (send <c>ASKING</c> + the
    /// command to the importing node, once), <c>TRYAGAIN</c> and <c>CLUSTERDOWN</c> (wait briefly, retry),
    /// at most <see cref="RedisConnectionOptions.MaxRedirects"/> times. Returns the last reply, error or not.
    /// A redirect is a refusal, so following it cannot run the command twice; a lost connection is not retried.
    /// </summary>
    private async ValueTask<RedisReply> SendRoutedAsync(RedisCommand command, int slot, CancellationToken cancellationToken)
    {
        if (_standalone is { } single)
        {
            return await single.SendAsync(command, cancellationToken).ConfigureAwait(false);
        }

        var node = NodeForSlot(slot);
        var asking = false;
        for (var redirects = 0; ; redirects++)
        {
            var reply = await node.SendAsync(command, cancellationToken, asking).ConfigureAwait(false);
            if (!reply.IsError || redirects >= _options.MaxRedirects)
            {
                return reply;
            }

            if (reply.IsErrorWithPrefix("MOVED"u8)
                && ClusterTopology.TryParseRedirect(reply.ErrorMessage!, node.Endpoint.Host, out _, out var owner))
            {
                node = NodeAt(owner);
                asking = false;
                Interlocked.Increment(ref _redirects);
                _ = RefreshTopologyAsync(throwOnFailure: false);
            }
            else if (reply.IsErrorWithPrefix("ASK"u8)
                && ClusterTopology.TryParseRedirect(reply.ErrorMessage!, node.Endpoint.Host, out _, out var importer))
            {
                node = NodeAt(importer);
                asking = true;
                Interlocked.Increment(ref _redirects);
            }
            else if (reply.IsErrorWithPrefix("TRYAGAIN"u8))
            {
                // A multi-key command met a slot half migrated: the keys are split for a moment.
                await Task.Delay(RetryDelay(redirects), _time, cancellationToken).ConfigureAwait(false);
            }
            else if (reply.IsErrorWithPrefix("CLUSTERDOWN"u8))
            {
                await Task.Delay(RetryDelay(redirects), _time, cancellationToken).ConfigureAwait(false);
                await RefreshTopologyAsync(throwOnFailure: false).ConfigureAwait(false);
                node = NodeForSlot(slot);
                asking = false;
            }
            else
            {
                return reply;
            }
        }
    }

    private static TimeSpan RetryDelay(int attempt) => TimeSpan.FromMilliseconds(Math.Min(20 << attempt, 500));

    private EndpointConnection NodeForSlot(int slot)
    {
        var route = CurrentRoute;
        if (slot < 0)
        {
            return route.Connections[Random.Shared.Next(route.Connections.Length)];
        }

        var index = route.Topology.PrimaryIndexOf(slot);
        return route.Connections[index < 0 ? 0 : index];
    }

    /// <summary>The connection to <paramref name="endpoint"/>, opened (in the background) on first use.</summary>
    private EndpointConnection NodeAt(DnsEndPoint endpoint)
    {
        var name = RedisLink.NameOf(endpoint);
        lock (_nodesLock)
        {
            if (!_nodes.TryGetValue(name, out var connection))
            {
                ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
                connection = new EndpointConnection(endpoint, _options, _time);
                connection.StartConnecting();
                _nodes.Add(name, connection);
            }

            return connection;
        }
    }

    /// <summary>Reloads the topology with <c>CLUSTER SLOTS</c>; concurrent callers share one refresh.</summary>
    internal Task RefreshTopologyAsync(bool throwOnFailure)
    {
        Task refresh;
        lock (_refreshLock)
        {
            if (_refresh is null || _refresh.IsCompleted)
            {
                _refresh = LoadTopologyAsync();
            }

            refresh = _refresh;
        }

        return throwOnFailure ? refresh : refresh.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task LoadTopologyAsync()
    {
        var errors = new List<Exception>();
        foreach (var candidate in TopologySources())
        {
            try
            {
                var reply = await SendAsync(candidate, "CLUSTER", "SLOTS").ConfigureAwait(false);
                var topology = ClusterTopology.FromClusterSlots(reply, candidate.Endpoint.Host);
                if (topology.Primaries.Count == 0)
                {
                    throw new RedisException($"{candidate.Name} reports a cluster with no slots assigned.");
                }

                var connections = topology.Primaries.Select(NodeAt).ToArray();
                Volatile.Write(ref _route, new ClusterRoute(topology, connections));
                return;
            }
            catch (RedisException e)
            {
                errors.Add(e);
            }
        }

        throw new RedisConnectionException(
            "Could not load the cluster topology: " + string.Join("; ", errors.Select(e => e.Message)),
            errors.Count == 1 ? errors[0] : new AggregateException(errors));
    }

    /// <summary>Nodes to ask for the topology: current primaries first, then every other known node.</summary>
    private List<EndpointConnection> TopologySources()
    {
        var sources = new List<EndpointConnection>();
        if (Volatile.Read(ref _route) is { } route)
        {
            sources.AddRange(route.Connections.Where(c => c.IsConnected));
        }

        lock (_nodesLock)
        {
            sources.AddRange(_nodes.Values.Where(c => c.IsConnected && !sources.Contains(c)));
        }

        return sources;
    }

    /// <summary>A topology and the connection to each of its primaries, index for index.</summary>
    private sealed record ClusterRoute(ClusterTopology Topology, EndpointConnection[] Connections);
}
