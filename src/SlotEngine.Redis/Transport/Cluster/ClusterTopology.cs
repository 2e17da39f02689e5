using System.Globalization;
using System.Net;

namespace SlotEngine.Redis.Transport.Cluster;

/// <summary>
/// An immutable snapshot of which primary serves each of the 16384 slots, read from <c>CLUSTER SLOTS</c>.
/// Replaced whole on refresh; readers take it with one <c>Volatile.Read</c> and never
/// see a half-built map.
/// </summary>
internal sealed class ClusterTopology
{
    private const ushort Unassigned = ushort.MaxValue;
    private readonly ushort[] _slotToPrimary;

    private ClusterTopology(DnsEndPoint[] primaries, ushort[] slotToPrimary)
    {
        Primaries = primaries;
        _slotToPrimary = slotToPrimary;
    }

    /// <summary>Every primary that serves at least one slot, in order of first appearance.</summary>
    public IReadOnlyList<DnsEndPoint> Primaries { get; }

    /// <summary>The index into <see cref="Primaries"/> of the slot's primary, or -1 if no node serves it.</summary>
    public int PrimaryIndexOf(int slot)
    {
        var index = _slotToPrimary[slot];
        return index == Unassigned ? -1 : index;
    }

    /// <summary>
    /// Builds the map from a <c>CLUSTER SLOTS</c> reply: an array of [start, end, [host, port, id, …], replicas…].
    /// An empty host (a node that does not know its own address) means the host the reply came from.
    /// </summary>
    /// <exception cref="RedisProtocolException">The reply does not have that shape.</exception>
    public static ClusterTopology FromClusterSlots(in RedisReply reply, string replyingHost)
    {
        if (reply.Kind != RespKind.Array)
        {
            throw new RedisProtocolException($"CLUSTER SLOTS answered {reply.Kind}, not an array.");
        }

        var primaries = new List<DnsEndPoint>();
        var slotToPrimary = new ushort[HashSlot.Count];
        slotToPrimary.AsSpan().Fill(Unassigned);
        foreach (var range in reply.Elements)
        {
            if (range.Count < 3 || range[2].Count < 2)
            {
                throw new RedisProtocolException($"CLUSTER SLOTS has a malformed range: {range}.");
            }

            var start = range[0].AsInt64();
            var end = range[1].AsInt64();
            if (start < 0 || end >= HashSlot.Count || start > end)
            {
                throw new RedisProtocolException($"CLUSTER SLOTS has the slot range {start}-{end}.");
            }

            var host = range[2][0].AsString();
            var port = (int)range[2][1].AsInt64();
            var endpoint = new DnsEndPoint(string.IsNullOrEmpty(host) || host == "?" ? replyingHost : host, port);
            var index = primaries.FindIndex(p => p.Host == endpoint.Host && p.Port == endpoint.Port);
            if (index < 0)
            {
                index = primaries.Count;
                primaries.Add(endpoint);
            }

            slotToPrimary.AsSpan((int)start, (int)(end - start + 1)).Fill((ushort)index);
        }

        return new ClusterTopology([.. primaries], slotToPrimary);
    }

    /// <summary>Reads <c>MOVED 3999 127.0.0.1:6381</c> or <c>ASK 3999 127.0.0.1:6381</c>; an empty host means <paramref name="currentHost"/>.</summary>
    public static bool TryParseRedirect(string error, string currentHost, out int slot, out DnsEndPoint target)
    {
        slot = -1;
        target = null!;
        var parts = error.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 3 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out slot))
        {
            return false;
        }

        var address = parts[2];
        var colon = address.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            return false;
        }

        var host = address[..colon].Trim('[', ']');
        target = new DnsEndPoint(host.Length == 0 ? currentHost : host, port);
        return true;
    }
}
