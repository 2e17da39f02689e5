namespace SlotEngine.LoadTest.Scenario;

/// <summary>
/// Maps the run's progress (0 to 1: share of the bookings target reached, or of the duration
/// elapsed) to scenario time. The day opens with a release rush: new days are published at
/// <see cref="Start"/> and the first <see cref="RushShare"/> of the load arrives within
/// <see cref="RushSpan"/>, everyone at once. The rest arrives steadily over the remaining
/// <see cref="Span"/>, which by default runs through the night into the next morning, so holds
/// expire, the booking window moves at midnight, early appointments pass, and late cancels meet
/// the cutoff. Immutable.
/// </summary>
/// <param name="Start">When the days open (scenario time).</param>
/// <param name="RushShare">Share of the load in the rush, 0 to 1.</param>
/// <param name="RushSpan">How long the rush lasts in scenario time.</param>
/// <param name="Span">How much scenario time the whole run covers.</param>
internal sealed record ScenarioTimeline(DateTimeOffset Start, double RushShare, TimeSpan RushSpan, TimeSpan Span)
{
    /// <summary>Scenario time at a progress, in UTC ticks.</summary>
    /// <param name="progress">0 to 1 (clamped).</param>
    /// <returns>The time.</returns>
    public long TicksAt(double progress)
    {
        progress = Math.Clamp(progress, 0, 1);
        double offset;
        if (RushShare > 0 && progress < RushShare)
        {
            offset = progress / RushShare * RushSpan.Ticks;
        }
        else
        {
            var steady = RushShare >= 1 ? 1 : (progress - RushShare) / (1 - RushShare);
            offset = RushSpan.Ticks + (steady * (Span - RushSpan).Ticks);
        }

        return Start.UtcTicks + (long)offset;
    }
}
