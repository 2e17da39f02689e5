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
/// The approval policy of a run: <see cref="ApprovalPolicy.Mhrs"/>, or with <c>--approval-deadline-in</c> the same rule
/// (2 days ahead) with the deadline of the nearest day that needs approval moved to that long after the run's start, so
/// that on Redis, whose <c>TIME</c> the run cannot move, deadlines pass during the run and the check after it
/// (<see cref="ApprovalCheck"/>) judges real lapses. Later days' deadlines fall a day apart after it.
/// </summary>
internal static class ApprovalScenario
{
    public static ApprovalPolicy PolicyFor(LoadSettings settings, DateTimeOffset start)
    {
        if (settings.ApprovalDeadlineIn is not { } delay)
        {
            return ApprovalPolicy.Mhrs;
        }

        var zone = new SlotEngineOptions().TimeZone;
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(start, zone).DateTime);
        var midnight = today.AddDays(ApprovalPolicy.Mhrs.MinDaysAhead).ToDateTime(TimeOnly.MinValue);
        var dayStarts = new DateTimeOffset(midnight, zone.GetUtcOffset(midnight));
        var before = dayStarts - (start + delay);
        return before > TimeSpan.Zero ? new ApprovalPolicy(ApprovalPolicy.Mhrs.MinDaysAhead, before) : ApprovalPolicy.Mhrs;
    }

    /// <summary>
    /// The ledger as the recount should see it at <paramref name="now"/>: a booking left unapproved whose deadline has passed
    /// was released by the engine (its seat may have been booked again), so it is not a live booking any more. Without
    /// <c>--approval-deadline-in</c> no deadline passes during a run and nothing is left out. An engine that kept such a
    /// booking alive shows a held seat the ledger does not know (a recount violation) and fails the check after the run.
    /// </summary>
    public static IEnumerable<LedgerEntry> WithoutLapsed(IEnumerable<LedgerEntry> entries, DateTimeOffset now) =>
        entries.Where(e => !(e.State == LedgerState.Booked && e.Reservation.HoldExpiresAt is { } deadline && deadline <= now));
}

/// <summary>
/// After the run (and after the recount and the audit replay, which judge the engine at the scenario's end): moves the
/// scenario clock past the last deadline of the bookings left unapproved, sweeps, and counts what the engine released
/// (<c>unapproved_released</c>). A booking left unapproved that can still be approved after its deadline is alive past it:
/// a rule violation. With Redis the run cannot move <c>TIME</c>: the engine's count (its claims' lazy releases and its
/// sweeps) is reported, and the bookings checked are those whose deadline has passed by Redis's own clock (the earliest
/// <c>TIME</c> of the primaries, <see cref="EarliestTimeAsync"/>); with <c>--approval-deadline-in</c> some deadlines pass
/// during the run (<see cref="ApprovalScenario"/>), otherwise none does and the check has nothing to judge.
/// </summary>
internal static class ApprovalCheck
{
    /// <summary>The earliest <c>TIME</c> of a Redis deployment's primaries: a deadline before it has passed on every shard.</summary>
    public static async Task<DateTimeOffset> EarliestTimeAsync(RedisServerStats server)
    {
        var earliest = DateTime.MaxValue;
        foreach (var primary in server.Primaries)
        {
            var time = await primary.TimeAsync().ConfigureAwait(false);
            earliest = time < earliest ? time : earliest;
        }

        return new DateTimeOffset(DateTime.SpecifyKind(earliest, DateTimeKind.Utc));
    }

    public static async Task<LifecycleTotals> ApplyAsync(ISlotEngine engine, ScenarioClock clock, IReadOnlyList<LedgerEntry> ledger, LifecycleTotals totals, CancellationToken cancellationToken, Func<Task<DateTimeOffset>>? storeNow = null)
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

        await engine.SweepAsync(cancellationToken).ConfigureAwait(false);
        var released = engine.UnapprovedReleased; // every lapse this engine (node) released: claims, sweeps, blocks
        long alive = 0, checkedOnes = 0;
        var breaches = totals.RuleBreaches.ToList();
        var now = clock.RealTime && storeNow is not null ? await storeNow().ConfigureAwait(false) : clock.GetUtcNow();
        foreach (var booking in waiting)
        {
            if (booking.HoldExpiresAt > now)
            {
                continue;
            }

            checkedOnes++;
            var approved = await engine.ApproveAsync(booking, cancellationToken).ConfigureAwait(false);
            if (approved.Succeeded)
            {
                alive++;
                breaches.Add($"approval: patient {booking.Patient.Value} booking {booking} unapproved with deadline {booking.HoldExpiresAt:O} was approved at {now:O}, after it (engine returned {approved.Reservation})");
            }
        }

        return totals with { UnapprovedReleased = released, UnapprovedChecked = checkedOnes, RuleViolations = totals.RuleViolations + alive, RuleBreaches = breaches };
    }
}
