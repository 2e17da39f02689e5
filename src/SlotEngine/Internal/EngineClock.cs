namespace SlotEngine;

/// <summary>
/// Reads "now" in UTC ticks from the engine's <see cref="TimeProvider"/>. Any provider other than the system one (a
/// test's fake clock, a load generator's scenario clock) is asked every time. For <see cref="TimeProvider.System"/>,
/// whose <c>GetUtcNow</c> (and <c>Stopwatch.GetTimestamp</c>) costs 20–160 ns on the virtual machines measured (a
/// system call where the kernel's clock source is not readable from user space), it reads the coarse monotonic
/// millisecond count <see cref="Environment.TickCount64"/> instead (about 5 ns: the kernel's last tick, no clock
/// read) and adds it to a UTC instant taken from the provider, re-taken every <see cref="ResyncMilliseconds"/>.
/// </summary>
/// <remarks>
/// <para><b>Precision.</b> The coarse count moves once per kernel tick (1–4 ms on Linux, 10–16 ms on Windows), so with
/// the system provider "now" is exact to a few milliseconds: it can be one tick behind or ahead of the provider's own
/// reading, and a re-anchor can step it back by at most that much. What the engine judges by the clock (hold
/// expiries of minutes, cancel cutoffs of 80 minutes, approval deadlines, booking windows of days, rate windows of
/// seconds) does not depend on milliseconds, and every judgement of one claim uses the one "now" read for it. Two
/// threads' readings were never ordered with their operations anyway.</para>
/// <para><b>Thread safety.</b> The anchor is an immutable object published with a volatile write; a racing re-anchor
/// only replaces an equally fresh one. One anchor is allocated every <see cref="ResyncMilliseconds"/> at most.</para>
/// </remarks>
internal sealed class EngineClock
{
    /// <summary>How often the UTC instant is re-taken from the provider (the coarse count's drift is bounded by this).</summary>
    public const long ResyncMilliseconds = 250;

    private readonly TimeProvider _provider;
    private readonly bool _coarse;
    private Anchor _anchor;

    public EngineClock(TimeProvider provider)
    {
        _provider = provider;
        _coarse = ReferenceEquals(provider, TimeProvider.System);
        _anchor = TakeAnchor();
    }

    /// <summary>Now, in UTC ticks.</summary>
    public long UtcTicks()
    {
        if (!_coarse)
        {
            return _provider.GetUtcNow().UtcTicks;
        }

        var milliseconds = Environment.TickCount64;
        var anchor = Volatile.Read(ref _anchor);
        var elapsed = milliseconds - anchor.Milliseconds;
        if (unchecked((ulong)elapsed) > ResyncMilliseconds)
        {
            // Re-anchored by whichever caller gets here (also if the count went back, elapsed < 0).
            anchor = TakeAnchor();
            Volatile.Write(ref _anchor, anchor);
            return anchor.UtcTicks;
        }

        return anchor.UtcTicks + (elapsed * TimeSpan.TicksPerMillisecond);
    }

    private Anchor TakeAnchor() => new(_provider.GetUtcNow().UtcTicks, Environment.TickCount64);

    private sealed record Anchor(long UtcTicks, long Milliseconds);
}
