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
}
