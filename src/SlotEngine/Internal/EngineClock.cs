using System.Diagnostics;

namespace SlotEngine;

/// <summary>
/// Reads "now" in UTC ticks from the engine's <see cref="TimeProvider"/>. For the system provider,
/// whose <c>GetUtcNow</c> costs tens of nanoseconds on some virtual machines, it reads the
/// monotonic timestamp instead and adds it to a UTC instant taken from the provider, re-taken
/// every <see cref="ResyncInterval"/> so that the two never drift apart by more than the drift of
/// one interval. Any other provider (a test's fake clock) is asked every time.
/// </summary>
internal sealed class EngineClock
{
    private static readonly long ResyncInterval = Stopwatch.Frequency / 4;
    private readonly TimeProvider _provider;
    private readonly bool _fast;
    private Anchor _anchor;

    public EngineClock(TimeProvider provider)
    {
        _provider = provider;
        _fast = ReferenceEquals(provider, TimeProvider.System) && Stopwatch.IsHighResolution;
        _anchor = TakeAnchor();
    }

    /// <summary>Now, in UTC ticks.</summary>
    public long UtcTicks()
    {
        if (!_fast)
        {
            return _provider.GetUtcNow().UtcTicks;
        }

        var timestamp = Stopwatch.GetTimestamp();
        var anchor = Volatile.Read(ref _anchor);
        var elapsed = timestamp - anchor.Timestamp;
        if (elapsed < 0 || elapsed > ResyncInterval)
        {
            // Re-anchored by whichever caller gets here; a racing re-anchor only replaces an equally fresh one.
            anchor = TakeAnchor();
            Volatile.Write(ref _anchor, anchor);
            return anchor.UtcTicks;
        }

        return anchor.UtcTicks + (long)(elapsed * TickPerTimestamp);
    }

    private static readonly double TickPerTimestamp = (double)TimeSpan.TicksPerSecond / Stopwatch.Frequency;

    private Anchor TakeAnchor() => new(_provider.GetUtcNow().UtcTicks, Stopwatch.GetTimestamp());

    private sealed record Anchor(long UtcTicks, long Timestamp);
}
