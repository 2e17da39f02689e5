namespace SlotEngine.Tests;

/// <summary>
/// <see cref="KeyTable"/> with a first segment above <see cref="HugePages.MinBytes"/>: pinned, advised for 2 MiB pages
/// and touched when made (<see cref="HugePages"/>). The hint and the touch must change nothing a table answers: keys,
/// addresses and payloads read back as written, for both layouts of a place (a stride of 2, 4 or 8 longs aligned to a
/// cache line, and any other stride).
/// </summary>
public class KeyTableLargeSegmentTests
{
    [Theory]
    [InlineData(20, 1)] // 2^20 places × 16 B = 16 MiB, line-aligned places
    [InlineData(19, 2)] // 2^19 places × 24 B = 12 MiB, the other layout
    public void A_large_first_segment_keeps_every_key_and_payload(int firstBits, int payloadLength)
    {
        var table = new KeyTable(firstBits, payloadLength);
        var random = new Random(firstBits);
        var keys = new Dictionary<ulong, long>();
        while (keys.Count < 50_000)
        {
            var key = (ulong)random.NextInt64(1, long.MaxValue);
            if (keys.ContainsKey(key))
            {
                continue;
            }

            var address = table.GetOrAdd(key, out var place);
            Assert.False(place.IsEmpty);
            Assert.Equal(0, Volatile.Read(ref place.Payload(payloadLength - 1)));
            Volatile.Write(ref place.Payload(payloadLength - 1), unchecked((long)key * 3));
            keys.Add(key, address);
        }

        foreach (var (key, address) in keys)
        {
            Assert.Equal(address, table.Find(key, out var place));
            Assert.Equal(unchecked((long)key * 3), Volatile.Read(ref place.Payload(payloadLength - 1)));
            Assert.Equal(address, table.GetOrAdd(key, out _));
        }

        var absent = 1UL;
        while (keys.ContainsKey(absent))
        {
            absent++;
        }

        Assert.Equal(-1, table.Find(absent, out _));
    }

    [Fact]
    public void Advice_and_touch_leave_small_and_unpinned_arrays_alone()
    {
        // Below the threshold neither call may touch the array (an unpinned array has no stable address to advise).
        var small = new long[1024];
        HugePages.Advise(small, small.Length * sizeof(long));
        HugePages.Prefault(small);
        Assert.All(small, value => Assert.Equal(0, value));
    }
}
