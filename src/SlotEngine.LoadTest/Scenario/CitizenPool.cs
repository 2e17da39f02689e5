namespace SlotEngine.LoadTest.Scenario;

/// <summary>
/// The citizens who book: valid national IDs (check digits computed by
/// <see cref="NationalId.FromFirstNineDigits"/>) turned into patient keys once, before the run,
/// and grouped by home province in the map's proportions. Immutable; workers share it.
/// </summary>
internal sealed class CitizenPool
{
    private readonly PatientKey[][] _byCity;

    private CitizenPool(PatientKey[][] byCity, int count)
    {
        _byCity = byCity;
        Count = count;
    }

    /// <summary>Number of citizens.</summary>
    public int Count { get; }

    /// <summary>Makes the citizens.</summary>
    /// <param name="count">How many, 81 or more.</param>
    /// <param name="map">The country (for the provinces' shares).</param>
    /// <param name="hasher">Turns IDs into patient keys (the engine's).</param>
    /// <param name="seed">The run's seed: it picks which IDs.</param>
    /// <returns>The pool.</returns>
    public static CitizenPool Create(int count, NationalMap map, PatientKeyHasher hasher, long seed)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(hasher);
        var weights = new double[81];
        for (var i = 0; i < 81; i++)
        {
            weights[i] = map.CityDemand.Probability(i);
        }

        var perCity = NationalMap.Apportion(count, weights, minimum: 1);
        var byCity = new PatientKey[81][];
        var first = new int[81];
        var offset = 0;
        for (var i = 0; i < 81; i++)
        {
            byCity[i] = new PatientKey[perCity[i]];
            first[i] = offset;
            offset += perCity[i];
        }

        // IDs 100000000 + base + n: a seed-dependent block of valid, distinct national IDs.
        var idBase = (int)(unchecked((ulong)seed) % 400_000_000UL);
        Parallel.For(0, 81, city =>
        {
            var keys = byCity[city];
            for (var n = 0; n < keys.Length; n++)
            {
                keys[n] = hasher.KeyOf(NationalId.FromFirstNineDigits(100_000_000 + idBase + first[city] + n));
            }
        });
        return new CitizenPool(byCity, count);
    }

    /// <summary>A random citizen of a province.</summary>
    /// <param name="plate">The plate code, 1 to 81.</param>
    /// <param name="random">The worker's generator.</param>
    /// <returns>The patient key.</returns>
    public PatientKey Pick(int plate, ref FastRandom random)
    {
        var keys = _byCity[plate - 1];
        return keys[random.Next(keys.Length)];
    }

    /// <summary>
    /// A random citizen of a province, drawn now (the same draw as <see cref="Pick"/>) and read
    /// later: starts loading the key's cache line and returns where it is.
    /// </summary>
    /// <remarks>
    /// The pool is one key of 8 bytes per citizen (8 MB at the default million), so a random
    /// citizen's key is a cache (and often TLB) miss. A worker needs the key only after its first search; read
    /// at once, the miss stalled the booking's own code (the largest single item of the
    /// generator's in a perf profile of the day: 3.5 % of the workers' samples on the load). The
    /// prefetch is a hint: the read through <see cref="CitizenPick.Key"/> is an ordinary array
    /// read, right whether the line came or not, and wherever the GC moved the array.
    /// </remarks>
    /// <param name="plate">The plate code, 1 to 81.</param>
    /// <param name="random">The worker's generator.</param>
    /// <returns>The citizen's place in the pool.</returns>
    public CitizenPick Choose(int plate, ref FastRandom random)
    {
        var keys = _byCity[plate - 1];
        var index = random.Next(keys.Length);
        if (System.Runtime.Intrinsics.X86.Sse.IsSupported)
        {
            unsafe
            {
                System.Runtime.Intrinsics.X86.Sse.Prefetch0(System.Runtime.CompilerServices.Unsafe.AsPointer(ref keys[index]));
            }
        }

        return new CitizenPick(keys, index);
    }
}

/// <summary>A citizen chosen by <see cref="CitizenPool.Choose"/>: their province's keys and their place among them.</summary>
/// <param name="Keys">The province's keys.</param>
/// <param name="Index">The citizen's place.</param>
internal readonly record struct CitizenPick(PatientKey[] Keys, int Index)
{
    /// <summary>The citizen's patient key.</summary>
    public PatientKey Key => Keys[Index];
}
