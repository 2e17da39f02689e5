using SlotEngine.LoadTest.Scenario;

namespace SlotEngine.LoadTest.Run;

/// <summary>
/// One worker's share of approval (<see cref="ApprovalPolicy.Mhrs"/>): a booking made two or more days ahead comes back
/// unapproved, and its citizen approves it at once with <see cref="ApprovalRate"/> (see docs/load-generator.md), or leaves
/// it to lapse at its deadline. Owned by one worker; summed after the run.
/// </summary>
internal sealed class ApprovalMix
{
    /// <summary>
    /// Share of unapproved bookings their citizens approve: MHRS 2023, about 30 % of appointments were missed, so 70 %
    /// (this tool's assumption: the missed share stands for those who neither approve nor cancel).
    /// </summary>
    public const double ApprovalRate = 0.70;

    /// <summary>Bookings that came back unapproved.</summary>
    public long Unapproved { get; private set; }

    /// <summary>Unapproved bookings their citizens approved.</summary>
    public long Approved { get; private set; }

    /// <summary>Whether the citizen approves this unapproved booking (drawn at <see cref="ApprovalRate"/>); counts it.</summary>
    public bool Draw(ref FastRandom random)
    {
        Unapproved++;
        return random.Chance(ApprovalRate);
    }

    /// <summary>An approval succeeded.</summary>
    public void ApprovedOne() => Approved++;
}

/// <summary>
/// After the run (and after the recount and the audit replay, which judge the engine at the scenario's end): moves the
/// scenario clock past the last deadline of the bookings left unapproved, sweeps, and counts what the engine released
/// (<c>unapproved_released</c>). A booking left unapproved that can still be approved after its deadline is alive past it:
/// a rule violation. With Redis, whose <c>TIME</c> the run cannot move, the engine's count (its claims' lazy releases and
/// its sweeps) is reported.
/// </summary>
internal static class ApprovalCheck
{
    public static async Task<LifecycleTotals> ApplyAsync(ISlotEngine engine, ScenarioClock clock, IReadOnlyList<LedgerEntry> ledger, LifecycleTotals totals, CancellationToken cancellationToken)
    {
        if (!engine.Options.Approval.IsEnabled)
        {
            return totals;
        }

        var waiting = ledger.Where(e => e.State == LedgerState.Booked && e.Reservation.HoldExpiresAt is not null).Select(e => e.Reservation).ToArray();
        if (waiting.Length > 0)
        {
            clock.AdvanceTo(waiting.Max(r => r.HoldExpiresAt!.Value.UtcTicks) + 1);
        }

        var swept = await engine.SweepAsync(cancellationToken).ConfigureAwait(false);
        var released = engine switch
        {
            InMemorySlotEngine memory => memory.UnapprovedReleased,
            SlotEngine.Redis.RedisSlotEngine redis => redis.UnapprovedReleased,
            _ => swept.UnapprovedReleased.Count,
        };
        long alive = 0;
        var now = clock.GetUtcNow();
        foreach (var booking in waiting)
        {
            if (booking.HoldExpiresAt <= now && (await engine.ApproveAsync(booking, cancellationToken).ConfigureAwait(false)).Succeeded)
            {
                alive++;
            }
        }

        return totals with { UnapprovedReleased = released, RuleViolations = totals.RuleViolations + alive };
    }
}
