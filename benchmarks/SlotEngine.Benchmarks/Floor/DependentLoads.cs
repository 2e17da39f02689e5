namespace SlotEngine.Benchmarks.Floor;

/// <summary>
/// A pointer chase over a large pinned array: one 64-byte node in every <see cref="Spread"/> lines (so every 4 KiB page
/// holds several and the TLB must cover the whole working set), linked in one random cycle; each load's address is the
/// previous load's value, so no two loads overlap and each costs what a cold line costs here (cache and TLB miss, on a
/// virtual machine a two-level page walk). The array is advised for 2 MiB pages (<see cref="HugePages.Advise"/>, as the
/// engine's slabs and tables are) or kept off them (<see cref="HugePages.KeepOff"/>), then every page is touched before timing.
/// </summary>
internal static class DependentLoads
{
    /// <summary>One node per this many lines (512 bytes).</summary>
    private const int Spread = 8;
    private const int LongsPerLine = 8;

    /// <summary>One page size's result.</summary>
    /// <param name="HugePages">Whether the array was advised for 2 MiB pages.</param>
    /// <param name="NanosecondsPerLoad">The median CPU ns per dependent load.</param>
    /// <param name="HugePageMib">How much of the process's anonymous memory on 2 MiB pages grew while the array was touched.</param>
    internal sealed record Result(bool HugePages, double NanosecondsPerLoad, long HugePageMib);

    public static Result Measure(int workingSetMib, bool hugePages, int loads, int rounds)
    {
        var longs = (long)workingSetMib << 17; // MiB → longs
        var before = AnonHugePagesMib();
        var nodes = GC.AllocateUninitializedArray<long>(checked((int)longs), pinned: true);
        if (hugePages)
        {
            SlotEngine.HugePages.Advise(nodes, longs * sizeof(long));
        }
        else
        {
            SlotEngine.HugePages.KeepOff(nodes, longs * sizeof(long));
        }

        Array.Clear(nodes); // every page touched (and its 2 MiB page made, where advised) before timing
        var hugeMib = AnonHugePagesMib() - before;
        var count = (int)(longs / (LongsPerLine * Spread));
        var start = Link(nodes, count, new Random(13));

        var position = start;
        var result = MachineFloorReport.Median(rounds, loads, () =>
        {
            for (var i = 0; i < loads; i++)
            {
                position = nodes[position];
            }
        });

        // The cycle is one: `count` more steps from anywhere come back to the same node.
        var from = position;
        for (var i = 0; i < count; i++)
        {
            position = nodes[position];
        }

        if (position != from)
        {
            throw new InvalidOperationException("The chase's nodes are not one cycle: the loads measured would not be all distinct lines.");
        }

        GC.KeepAlive(nodes);
        return new Result(hugePages, result, hugeMib);
    }

    /// <summary>The kernel's transparent huge page mode ("always", "madvise", "never"), or "unknown".</summary>
    public static string TransparentHugePages()
    {
        try
        {
            var text = File.ReadAllText("/sys/kernel/mm/transparent_hugepage/enabled");
            var open = text.IndexOf('[', StringComparison.Ordinal);
            var close = text.IndexOf(']', StringComparison.Ordinal);
            return open >= 0 && close > open ? text[(open + 1)..close] : "unknown";
        }
        catch (IOException)
        {
            return "unknown";
        }
        catch (UnauthorizedAccessException)
        {
            return "unknown";
        }
    }

    /// <summary>
    /// Places node k in the k-th run of <see cref="Spread"/> lines, at a random line of it, and links the nodes in one random
    /// cycle (Sattolo's shuffle of the visiting order); each node's first long is the array index of the next node.
    /// </summary>
    /// <returns>The index of a node on the cycle.</returns>
    private static long Link(long[] nodes, int count, Random random)
    {
        var place = new long[count];
        for (var k = 0; k < count; k++)
        {
            place[k] = (((long)k * Spread) + random.Next(Spread)) * LongsPerLine;
        }

        var order = new int[count];
        for (var k = 0; k < count; k++)
        {
            order[k] = k;
        }

        for (var k = count - 1; k > 0; k--)
        {
            var j = random.Next(k); // Sattolo: j < k, so the permutation is a single cycle
            (order[k], order[j]) = (order[j], order[k]);
        }

        for (var k = 0; k < count; k++)
        {
            nodes[place[k]] = place[order[k]];
        }

        return place[0];
    }

    /// <summary>The process's anonymous memory on 2 MiB pages (<c>/proc/self/smaps_rollup</c>), 0 where unknown.</summary>
    private static long AnonHugePagesMib()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/smaps_rollup"))
            {
                if (line.StartsWith("AnonHugePages:", StringComparison.Ordinal))
                {
                    var kilobytes = long.Parse(line.AsSpan("AnonHugePages:".Length).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture);
                    return kilobytes >> 10;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return 0;
    }
}
