namespace SlotEngine.LoadTest.Run;

/// <summary>
/// The pairs' ratios as one estimate with its uncertainty (<c>--rules-ratio</c>): their geometric mean, and a 90 %
/// interval for it from Student's t on the ratios' logarithms (each pair's on ÷ off is a ratio, so its log is the natural
/// scale, and a run's speed multiplies both sides' numbers). On a machine whose single runs move by ±15 %, the median of
/// five pairs moves by about as much as the rules cost; the interval says how far the pairs allow the true ratio to be,
/// and its low end is a one-sided 95 % lower bound (a goal of "at least 0.9×" is shown at that confidence when the low end
/// is 0.9 or more).
/// </summary>
/// <param name="GeometricMean">The geometric mean of the ratios.</param>
/// <param name="Low">The interval's low end (null with fewer than two ratios).</param>
/// <param name="High">The interval's high end (null with fewer than two ratios).</param>
/// <param name="Pairs">How many ratios it is of.</param>
internal readonly record struct RatioInterval(double GeometricMean, double? Low, double? High, int Pairs)
{
    /// <summary>The interval's two-sided level.</summary>
    public const double Level = 0.90;

    // Student's t at 0.95 (two-sided 90 %) for 1 to 30 degrees of freedom.
    private static readonly double[] TableT95 =
    [
        6.314, 2.920, 2.353, 2.132, 2.015, 1.943, 1.895, 1.860, 1.833, 1.812,
        1.796, 1.782, 1.771, 1.761, 1.753, 1.746, 1.740, 1.734, 1.729, 1.725,
        1.721, 1.717, 1.714, 1.711, 1.708, 1.706, 1.703, 1.701, 1.699, 1.697,
    ];

    /// <summary>The estimate of some positive ratios.</summary>
    /// <param name="ratios">At least one ratio, each above 0.</param>
    /// <returns>The geometric mean and, from two ratios on, its interval.</returns>
    /// <exception cref="ArgumentException">No ratio, or one at or below 0.</exception>
    public static RatioInterval Of(IReadOnlyList<double> ratios)
    {
        if (ratios.Count == 0 || ratios.Any(r => !(r > 0)))
        {
            throw new ArgumentException("The ratios must be one or more numbers above 0.", nameof(ratios));
        }

        var logs = ratios.Select(r => Math.Log(r)).ToArray();
        var mean = logs.Average();
        if (logs.Length < 2)
        {
            return new RatioInterval(Math.Exp(mean), null, null, 1);
        }

        var variance = logs.Sum(l => (l - mean) * (l - mean)) / (logs.Length - 1);
        var half = StudentT95(logs.Length - 1) * Math.Sqrt(variance / logs.Length);
        return new RatioInterval(Math.Exp(mean), Math.Exp(mean - half), Math.Exp(mean + half), logs.Length);
    }

    /// <summary>Student's t quantile at 0.95 for <paramref name="degrees"/> degrees of freedom (a table to 30, then the Cornish–Fisher expansion, within 0.001).</summary>
    /// <param name="degrees">At least 1.</param>
    /// <returns>The quantile.</returns>
    public static double StudentT95(int degrees)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(degrees, 1);
        if (degrees <= TableT95.Length)
        {
            return TableT95[degrees - 1];
        }

        const double Z = 1.6448536;
        double n = degrees;
        return Z + (((Z * Z * Z) + Z) / (4 * n)) + (((5 * Math.Pow(Z, 5)) + (16 * Z * Z * Z) + (3 * Z)) / (96 * n * n));
    }
}
