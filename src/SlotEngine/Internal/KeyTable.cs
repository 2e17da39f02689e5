using System.Runtime.CompilerServices;

namespace SlotEngine;

/// <summary>
/// An insert-only, lock-free set of non-zero 64-bit keys in which every key gets a permanent place
/// (an <em>address</em>) and, beside it, <see cref="PayloadLength"/> <see cref="long"/>s of zeroed
/// payload for its owner to use with <see cref="Volatile"/> and <see cref="Interlocked"/>. No object
/// per key: keys and payloads live in a few large arrays (segments), allocated as the table grows
/// and never moved, so a place handed out stays valid (and the same key's place) for the table's
/// lifetime. A place's key and payload are adjacent in one array (one cache line for a lookup and
/// its payload). The table is dropped whole (e.g. a day's quotas when the day has passed).
/// </summary>
/// <remarks>
/// <para><b>Protocol.</b> Segment <c>k</c> has <c>2^(FirstBits + GrowthBits·k)</c> places (each
/// one 2^GrowthBits times the one before), up to the largest segment one array holds, which then repeats. A key's
/// probe window in a segment is the <see cref="ProbeLimit"/> places from its home on (linear, wrapping). The home is
/// the hash of the key itself, or of a <em>home key</em> the caller names with it (<see cref="GetOrAdd(ulong, ulong, out Place)"/>):
/// keys given one home key share a window, so that the lines one lookup brings in hold the others (tried for
/// the quota ledger's clinic and facility keys and taken back: two keys per home filled windows early, see
/// docs/embedded-performance.md). A key must always come with the same home key
/// (a function of the key), or the invariant below does not hold. A place is 0 (empty) or holds a key, and goes from 0 to a
/// key at most once, by the CAS in <see cref="GetOrAdd(ulong, ulong, out Place)"/>; it never changes again.</para>
/// <para><b>Insert</b> walks the segments from the oldest, and in each its window in order, and
/// stops at the first place that holds the key (found) or is empty (the CAS: empty → key; on
/// success the key is inserted there, on failure the place now holds whatever won, which is read
/// and judged the same way). Only when every place of the window holds other keys does it move to
/// the next segment (allocated by a CAS from null on first need; a losing racer's array is dropped).</para>
/// <para><b>Invariant: a key is in at most one place.</b> Every inserter of key K visits the same
/// places in the same order (its home key is K's one home key), and each place's content is decided once. So "the first place of K's
/// walk that is empty or holds K" is one place for everyone: two racing inserters of K race for it
/// by CAS, and the loser reads K there. A segment is skipped only because K's whole window holds
/// other keys, which stays true forever.</para>
/// <para><b>Find</b> may visit the segments in any order (the key is in at most one place); it
/// looks at the newest first, where most keys are, and in a segment stops at the first empty place
/// of the window (the key cannot lie beyond it). A key inserted while a Find runs may or may not be
/// found, as if the Find came first.</para>
/// </remarks>
internal sealed class KeyTable
{
    /// <summary>Places of a key's window in one segment.</summary>
    public const int ProbeLimit = 32;

    private const int MaxBits = 28;
    private const ulong Fibonacci = 0x9E3779B97F4A7C15UL;
    private readonly Segment?[] _segments;
    private readonly int[] _bits;

    /// <summary>Creates an empty table (allocates its first segment).</summary>
    /// <param name="firstBits">The first segment has 2^firstBits places (6 to 28); segments stay at or below 2^28 places.</param>
    /// <param name="payloadLength">Longs of payload per place (0 to <see cref="MaxPayloadLength"/>).</param>
    /// <param name="growthBits">Each segment has 2^growthBits times the places of the one before (1 to 4). Larger: fewer segments for an insert to walk, more memory ahead of need.</param>
    /// <param name="maxPlaces">Addresses stay below this (at most <see cref="uint.MaxValue"/>); the table holds fewer segments than would pass it.</param>
    public KeyTable(int firstBits, int payloadLength, int growthBits = 3, long maxPlaces = uint.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(growthBits, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(growthBits, 4);
        ArgumentOutOfRangeException.ThrowIfLessThan(firstBits, 6);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstBits, MaxBits);
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(payloadLength, MaxPayloadLength);
        PayloadLength = payloadLength;
        if (((1L << firstBits) * (1 + payloadLength)) + 8 > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(payloadLength), payloadLength, "The first segment's payload does not fit in one array.");
        }

        // Segment sizes: ×2^growthBits each, until the next would not fit in one array (a wide payload) or pass 2^28
        // places; then that largest size repeats, so that a wide payload costs no capacity, only more segments.
        var bits = new List<int>();
        var places = 0L;
        var next = firstBits;
        while (true)
        {
            var size = 1L << next;
            if (places + size > Math.Min(maxPlaces, uint.MaxValue))
            {
                break;
            }

            bits.Add(next);
            places += size;
            var grown = next + growthBits;
            if (grown <= MaxBits && ((1L << grown) * (1 + payloadLength)) + 8 <= Array.MaxLength)
            {
                next = grown;
            }
        }

        if (bits.Count == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxPlaces), maxPlaces, "The first segment passes the places allowed.");
        }

        _bits = [.. bits];
        _segments = new Segment?[_bits.Length];
        // The first segment is made with the table (a day's or the engine's preparation): its pages are touched now, not by
        // the claims (HugePages.Prefault); a later segment is made by the claim that needs it and left to fault lazily.
        _segments[0] = new Segment(firstBits, 0, payloadLength, prefault: true);
    }

    /// <summary>The most payload longs a place may have.</summary>
    public const int MaxPayloadLength = 24;

    /// <summary>First-segment bits for <paramref name="expectedKeys"/> keys at about two thirds full, at least <paramref name="minBits"/>, at most <paramref name="maxBits"/>.</summary>
    /// <param name="expectedKeys">Keys expected (0: just <paramref name="minBits"/>).</param>
    /// <param name="minBits">The smallest first segment.</param>
    /// <param name="maxBits">The largest first segment.</param>
    /// <returns>The bits.</returns>
    public static int BitsFor(long expectedKeys, int minBits, int maxBits)
    {
        var bits = minBits;
        while (bits < maxBits && (1L << bits) * 2 < expectedKeys * 3)
        {
            bits++;
        }

        return bits;
    }

    /// <summary>Longs of payload per place.</summary>
    public int PayloadLength { get; }

    /// <summary>
    /// Keys inserted (exact once inserts have returned), counted by reading every place: for tests,
    /// accounting and purges, not a hot path. (No shared counter: an atomic increment per insert
    /// would be a cache line every inserting core writes.)
    /// </summary>
    public int Count
    {
        get
        {
            var count = 0;
            for (var k = 0; k < _segments.Length; k++)
            {
                if (Volatile.Read(ref _segments[k]) is not { } segment)
                {
                    break;
                }

                for (var at = 0; at < segment.Places; at++)
                {
                    if (Volatile.Read(ref segment.KeyOf(at)) != 0)
                    {
                        count++;
                    }
                }
            }

            return count;
        }
    }

    /// <summary>Places allocated so far (all segments), for memory accounting.</summary>
    public long Capacity
    {
        get
        {
            var places = 0L;
            for (var k = 0; k < _segments.Length; k++)
            {
                places += Volatile.Read(ref _segments[k]) is { } segment ? segment.Places : 0;
            }

            return places;
        }
    }

    /// <summary>The key's address, inserting it if it is not there.</summary>
    /// <param name="key">Not 0.</param>
    /// <param name="place">Where the key and its payload are.</param>
    /// <returns>The key's address (permanent).</returns>
    /// <exception cref="InvalidOperationException">Every segment is full along the key's windows.</exception>
    public long GetOrAdd(ulong key, out Place place) => GetOrAdd(key, key, out place);

    /// <summary>The key's address, inserting it if it is not there, with its window at <paramref name="homeKey"/>'s home (see the remarks: always the same home key for a key).</summary>
    /// <param name="key">Not 0.</param>
    /// <param name="homeKey">The key whose hash places the window; the same for every call with <paramref name="key"/>.</param>
    /// <param name="place">Where the key and its payload are.</param>
    /// <returns>The key's address (permanent).</returns>
    /// <exception cref="InvalidOperationException">Every segment is full along the key's windows.</exception>
    public long GetOrAdd(ulong key, ulong homeKey, out Place place)
    {
        System.Diagnostics.Debug.Assert(key != 0, "0 marks an empty place");
        var wanted = unchecked((long)key);
        for (var k = 0; k < _segments.Length; k++)
        {
            var segment = Volatile.Read(ref _segments[k]) ?? Grow(k);
            var mask = segment.Places - 1;
            var at = segment.Home(homeKey);
            for (var probe = 0; probe < ProbeLimit; probe++, at = (at + 1) & mask)
            {
                ref var word = ref segment.KeyOf(at);
                var current = Volatile.Read(ref word);
                if (current == 0)
                {
                    // The insert CAS: an empty place becomes this key's, once and for good. On
                    // failure `current` is what won the place, judged below like any other key.
                    current = Interlocked.CompareExchange(ref word, wanted, 0);
                    if (current == 0)
                    {
                        place = new Place(segment, at);
                        return segment.Base + at;
                    }
                }

                if (current == wanted)
                {
                    place = new Place(segment, at);
                    return segment.Base + at;
                }
            }
        }

        throw new InvalidOperationException($"The key table is full ({Capacity:N0} places).");
    }

    /// <summary>The key's address, or −1 when it is not in the table.</summary>
    /// <param name="key">Not 0.</param>
    /// <param name="place">Where the key is, when found.</param>
    /// <returns>The address or −1.</returns>
    public long Find(ulong key, out Place place) => Find(key, key, out place);

    /// <summary>The key's address, or −1 when it is not in the table; <paramref name="homeKey"/> as for <see cref="GetOrAdd(ulong, ulong, out Place)"/>.</summary>
    /// <param name="key">Not 0.</param>
    /// <param name="homeKey">The key whose hash places the window.</param>
    /// <param name="place">Where the key is, when found.</param>
    /// <returns>The address or −1.</returns>
    public long Find(ulong key, ulong homeKey, out Place place)
    {
        var wanted = unchecked((long)key);
        for (var k = _segments.Length - 1; k >= 0; k--)
        {
            if (Volatile.Read(ref _segments[k]) is not { } segment)
            {
                continue;
            }

            var mask = segment.Places - 1;
            var at = segment.Home(homeKey);
            for (var probe = 0; probe < ProbeLimit; probe++, at = (at + 1) & mask)
            {
                // Keys are only ever CASed 0 → key (never moved or removed): a racing insert is seen as 0
                // (not found yet) or as its key, never as a torn or different value at this place.
                var current = Volatile.Read(ref segment.KeyOf(at));
                if (current == wanted)
                {
                    place = new Place(segment, at);
                    return segment.Base + at;
                }

                if (current == 0)
                {
                    break;
                }
            }
        }

        place = default;
        return -1;
    }

    /// <summary>The key at an address, or 0 when the address holds none (yet).</summary>
    /// <param name="address">An address this table returned, or any number.</param>
    /// <returns>The key or 0.</returns>
    public ulong KeyAt(long address) => PlaceAt(address, out var place) ? unchecked((ulong)Volatile.Read(ref place.Key)) : 0;

    /// <summary>The place at an address (its key may still be 0), without a probe: the segment is found by arithmetic.</summary>
    /// <param name="address">An address this table returned, or any number.</param>
    /// <param name="place">The place, when the address lies in an allocated segment.</param>
    /// <returns>False when the address lies in no allocated segment.</returns>
    public bool PlaceAt(long address, out Place place)
    {
        for (var k = 0; k < _segments.Length && address >= 0; k++)
        {
            if (Volatile.Read(ref _segments[k]) is not { } segment)
            {
                break;
            }

            if (address < segment.Places)
            {
                place = new Place(segment, (int)address);
                return true;
            }

            address -= segment.Places;
        }

        place = default;
        return false;
    }

    private Segment Grow(int k)
    {
        var previous = Volatile.Read(ref _segments[k - 1])!;
        var bits = _bits[k];
        // Publishes segment k once: the CAS from null succeeds for one grower; a loser's segment is dropped and
        // everyone returns the winner's. A reader sees null (skips k: the key is not there yet) or the whole segment.
        Interlocked.CompareExchange(ref _segments[k], new Segment(bits, previous.Base + previous.Places, PayloadLength), null);
        return Volatile.Read(ref _segments[k])!;
    }

    /// <summary>One key's place: its segment and index there, for its payload.</summary>
    internal readonly struct Place
    {
        private readonly Segment? _segment;
        private readonly int _index;

        internal Place(Segment segment, int index)
        {
            _segment = segment;
            _index = index;
        }

        public bool IsEmpty => _segment is null;

        /// <summary>Payload long <paramref name="i"/> (0 to PayloadLength − 1) of this place, for Volatile and Interlocked access.</summary>
        /// <param name="i">Which long.</param>
        /// <returns>A reference into the segment's payload array.</returns>
        public ref long Payload(int i) => ref _segment!.Cells[_segment.Origin + (_index * _segment.Stride) + 1 + i];

        /// <summary>The place's key word (0: empty), for Volatile reads.</summary>
        public ref long Key => ref _segment!.Cells[_segment.Origin + (_index * _segment.Stride)];
    }

    /// <summary>2^bits places, each a key (as a long) followed by its payload longs, in one array; the address of its first place.</summary>
    internal sealed class Segment
    {
        private const int LineBytes = 64;
        private const int LineLongs = LineBytes / sizeof(long);
        private readonly int _shift;

        public Segment(int bits, long firstAddress, int payloadLength, bool prefault = false)
        {
            Places = 1 << bits;
            Stride = 1 + payloadLength;
            if (Stride is 2 or 4 or 8)
            {
                // A place of 16, 32 or 64 bytes never straddles two cache lines if the first place starts on a line:
                // the array is pinned (it never moves) with a line's worth of spare longs, and the first place starts
                // at the first line boundary inside it. A lookup and its payload (the patient's admission instant
                // and active cap entries: 64 bytes under MHRS's rules) then cost one line, not two.
                Cells = GC.AllocateArray<long>((int)(((long)Places * Stride) + LineLongs - 1), pinned: true);
                var address = (long)System.Runtime.InteropServices.Marshal.UnsafeAddrOfPinnedArrayElement(Cells, 0);
                Origin = (int)(((LineBytes - (address & (LineBytes - 1))) & (LineBytes - 1)) / sizeof(long));
            }
            else
            {
                var length = checked(Places * Stride);
                Cells = (long)length * sizeof(long) >= HugePages.MinBytes ? GC.AllocateArray<long>(length, pinned: true) : new long[length];
            }

            // Before the first touch: a large (pinned) table takes 2 MiB pages where Linux offers them (HugePages' remarks).
            HugePages.Advise(Cells, (long)Cells.Length * sizeof(long));
            if (prefault)
            {
                HugePages.Prefault(Cells);
            }

            Base = firstAddress;
            _shift = 64 - bits;
        }

        public int Places { get; }

        /// <summary>Longs per place: the key and the payload.</summary>
        public int Stride { get; }

        public long[] Cells { get; }

        /// <summary>The long where the first place starts (0, or past the spare longs before the first cache-line boundary).</summary>
        public int Origin { get; }

        public long Base { get; }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Home(ulong key) => (int)(unchecked(key * Fibonacci) >> _shift);

        /// <summary>The key word of a place (0: empty), for Volatile and Interlocked access.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public ref long KeyOf(int place) => ref Cells[Origin + (place * Stride)];
    }
}
