namespace SlotEngine;

/// <summary>
/// A per-patient rate of claim attempts, as data: a token bucket of <see cref="Attempts"/> tokens that refills at
/// <see cref="Attempts"/> per <see cref="Window"/>. Every claim call (hold or book, whatever its outcome, an idempotent
/// retry included) takes a token; a call with none left is refused with <see cref="ClaimStatus.RateLimited"/> and
/// changes nothing. Immutable.
/// </summary>
/// <remarks>
/// <para>Kept as one instant per patient (the generic cell rate algorithm, GCRA: the "theoretical arrival time"),
/// so that a check is one compare-and-swap in memory and one small script on Redis. Over any span of length
/// <c>d</c> a patient is admitted at most <c>Attempts + floor(d × Attempts / Window)</c> times; with the clock
/// still, exactly <see cref="Attempts"/>.</para>
/// <para>The limit per IP address (MHRS limits per user and per IP) belongs to the host, in front of the engine:
/// the engine never sees addresses.</para>
/// </remarks>
public sealed class AdmissionRate
{
    /// <summary>No limit.</summary>
    public static AdmissionRate None { get; } = new();

    private AdmissionRate()
    {
    }

    /// <summary>Creates a limit.</summary>
    /// <param name="attempts">Attempts per window, and the burst allowed at once (1 to 10,000).</param>
    /// <param name="window">The window (1 second to 1 day).</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public AdmissionRate(int attempts, TimeSpan window)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempts, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(attempts, 10_000);
        if (window < TimeSpan.FromSeconds(1) || window > TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(nameof(window), window, "The window must be from 1 second to 1 day.");
        }

        Attempts = attempts;
        Window = window;
    }

    /// <summary>Attempts per window; 0 when there is no limit.</summary>
    public int Attempts { get; }

    /// <summary>The window.</summary>
    public TimeSpan Window { get; }

    /// <summary>Whether there is a limit.</summary>
    public bool IsEnabled => Attempts > 0;

    /// <summary>The time one token takes to come back, in microseconds (both engines count in whole microseconds).</summary>
    public long IntervalMicroseconds => Attempts == 0 ? 0 : Window.Ticks / TimeSpan.TicksPerMicrosecond / Attempts;

    /// <summary>How far ahead of now the bucket's instant may run before a call is refused, in microseconds: (Attempts − 1) intervals.</summary>
    public long BurstMicroseconds => (Attempts - 1) * IntervalMicroseconds;

    /// <summary>
    /// The GCRA step, the one rule both engines apply: given the patient's stored instant <paramref name="tat"/>
    /// (0 when none) and now, whether the attempt is admitted and the instant to store.
    /// </summary>
    /// <param name="tat">The stored instant, microseconds.</param>
    /// <param name="nowMicroseconds">Now, microseconds.</param>
    /// <param name="next">The instant to store when admitted.</param>
    /// <returns>True when admitted.</returns>
    public bool TryAdmit(long tat, long nowMicroseconds, out long next)
    {
        var start = Math.Max(tat, nowMicroseconds);
        if (start - nowMicroseconds > BurstMicroseconds)
        {
            next = tat;
            return false;
        }

        next = start + IntervalMicroseconds;
        return true;
    }
}
