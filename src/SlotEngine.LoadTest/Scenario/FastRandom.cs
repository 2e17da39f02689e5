namespace SlotEngine.LoadTest.Scenario;

/// <summary>
/// xoshiro256** seeded by SplitMix64: fast, deterministic for a seed, one per worker (not
/// thread-safe). The scenario's randomness must not cost more than the engine it measures.
/// </summary>
internal struct FastRandom
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;

    /// <summary>Creates a generator from a seed and a stream number (e.g. a worker index).</summary>
    /// <param name="seed">The run's seed.</param>
    /// <param name="stream">Separates generators that share a seed.</param>
    public FastRandom(long seed, long stream)
    {
        // The generator's arithmetic wraps by design (checked builds would throw).
        unchecked
        {
            var x = (ulong)seed ^ (0x9E3779B97F4A7C15UL * (ulong)(stream + 1));
            _s0 = SplitMix(ref x);
            _s1 = SplitMix(ref x);
            _s2 = SplitMix(ref x);
            _s3 = SplitMix(ref x);
        }
    }

    /// <summary>The next 64 random bits.</summary>
    /// <returns>The bits.</returns>
    public ulong NextUInt64()
    {
        unchecked
        {
            return Step();
        }
    }

    private ulong Step()
    {
        var result = unchecked(RotateLeft(_s1 * 5, 7) * 9);
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A double in [0, 1).</summary>
    /// <returns>The value.</returns>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>An integer in [0, <paramref name="bound"/>).</summary>
    /// <param name="bound">More than 0.</param>
    /// <returns>The value.</returns>
    public int Next(int bound) => (int)(((NextUInt64() >> 32) * (ulong)bound) >> 32);

    /// <summary>True with the given probability.</summary>
    /// <param name="probability">0 to 1.</param>
    /// <returns>The outcome.</returns>
    public bool Chance(double probability) => NextDouble() < probability;

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));

    private static ulong SplitMix(ref ulong x)
    {
        unchecked
        {
            var z = x += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
