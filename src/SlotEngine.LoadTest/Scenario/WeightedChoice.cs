namespace SlotEngine.LoadTest.Scenario;

/// <summary>
/// Picks an index with probability proportional to its weight (cumulative table, binary search).
/// Immutable after construction, so workers share one.
/// </summary>
internal sealed class WeightedChoice
{
    private readonly double[] _cumulative;

    /// <summary>Creates a chooser.</summary>
    /// <param name="weights">Non-negative weights, at least one positive.</param>
    public WeightedChoice(ReadOnlySpan<double> weights)
    {
        _cumulative = new double[weights.Length];
        double sum = 0;
        for (var i = 0; i < weights.Length; i++)
        {
            if (weights[i] < 0 || double.IsNaN(weights[i]))
            {
                throw new ArgumentOutOfRangeException(nameof(weights), weights[i], "Weights must be zero or more.");
            }

            sum += weights[i];
            _cumulative[i] = sum;
        }

        if (sum <= 0)
        {
            throw new ArgumentException("At least one weight must be positive.", nameof(weights));
        }
    }

    /// <summary>Number of choices.</summary>
    public int Count => _cumulative.Length;

    /// <summary>The weights of the Zipf law over ranks 1..n: weight of rank r is 1/r^s.</summary>
    /// <param name="n">Number of ranks.</param>
    /// <param name="exponent">The skew s (0 = uniform; 1 = classic Zipf).</param>
    /// <returns>The weights, rank 1 first.</returns>
    public static double[] ZipfWeights(int n, double exponent)
    {
        var weights = new double[n];
        for (var r = 0; r < n; r++)
        {
            weights[r] = 1.0 / Math.Pow(r + 1, exponent);
        }

        return weights;
    }

    /// <summary>The probability of one index.</summary>
    /// <param name="index">The index.</param>
    /// <returns>Its share of the total weight.</returns>
    public double Probability(int index) =>
        (_cumulative[index] - (index == 0 ? 0 : _cumulative[index - 1])) / _cumulative[^1];

    /// <summary>Draws an index.</summary>
    /// <param name="random">The worker's generator.</param>
    /// <returns>An index from 0 to <see cref="Count"/> − 1.</returns>
    public int Next(ref FastRandom random)
    {
        var u = random.NextDouble() * _cumulative[^1];
        var lo = 0;
        var hi = _cumulative.Length - 1;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_cumulative[mid] > u)
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }

        return lo;
    }
}
