namespace SlotEngine.LoadTest.Run;

/// <summary>What the life-after-booking rules did in a run, and whether they held.</summary>
/// <param name="Enabled">Whether the rules ran (off with <c>--no-rules</c>).</param>
/// <param name="BookingsByChannel">Confirmed bookings per channel.</param>
/// <param name="OnBehalf">Bookings made by someone other than the patient.</param>
/// <param name="RefusedCallLimit">Claims refused because their call had used its places.</param>
/// <param name="RefusedActiveCap">Claims refused because the citizen had as many live future appointments as the cap.</param>
/// <param name="NoShows">No-shows recorded (a sample of the bookings, see docs/load-generator.md).</param>
/// <param name="BarsApplied">No-shows of citizens who are not exempt, each a bar on the branch.</param>
/// <param name="RefusedBarred">Claims refused because the citizen was barred from the branch.</param>
/// <param name="AuditRecords">Audit records the engine wrote.</param>
/// <param name="ReplayMismatches">Seats where the state rebuilt from the audit stream differs from the engine's (must be 0).</param>
/// <param name="RuleViolations">Breaches of a rule (a call beyond its limit, a barred citizen booked, a citizen with more live future appointments than the cap in the generator's ledger at the end; must be 0).</param>
/// <param name="CheckSeconds">How long the replay took.</param>
internal sealed record LifecycleTotals(
    bool Enabled,
    IReadOnlyDictionary<BookingChannel, long> BookingsByChannel,
    long OnBehalf,
    long RefusedCallLimit,
    long RefusedActiveCap,
    long NoShows,
    long BarsApplied,
    long RefusedBarred,
    long AuditRecords,
    long ReplayMismatches,
    long RuleViolations,
    double CheckSeconds)
{
    public static readonly LifecycleTotals Off = new(false, new Dictionary<BookingChannel, long>(), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    /// <summary>Whether the generator's side of the rules ran (<see cref="LoadSettings.LifecycleMix"/>): with <see cref="Enabled"/> off, the engine refused nothing by a rule and only the mix's counts are set.</summary>
    public bool Mix { get; init; }

    /// <summary>Outcomes recorded (the sample of bookings, attended and no-shows).</summary>
    public long Outcomes { get; init; }

    /// <summary>Unapproved bookings the engine released at their deadline (see <see cref="ApprovalCheck"/>).</summary>
    public long UnapprovedReleased { get; init; }

    /// <summary>Bookings left unapproved whose deadline had passed (by the engine's clock: Redis <c>TIME</c> on Redis) that the check after the run tried to approve (see <see cref="ApprovalCheck"/>).</summary>
    public long UnapprovedChecked { get; init; }
}

/// <summary>After the load: replays the audit stream and compares it with every calendar it names.</summary>
internal static class LifecycleCheck
{
    public static async Task<LifecycleTotals> RunAsync(ISlotEngine engine, IReadOnlyList<LifecycleMix> mixes, IReadOnlyList<LedgerEntry> ledger, SlotEngineOptions options, CancellationToken cancellationToken)
    {
        var touched = ledger.Select(e => e.Reservation.Calendar).Distinct();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var replay = new AuditReplay();
        var tolerance = TimeSpan.Zero;
        if (engine is InMemorySlotEngine memory)
        {
            // The engine-wide stream, in position order.
            var buffer = new AuditRecord[4096];
            long from = 0;
            int read;
            while ((read = memory.ReadAudit(from, buffer)) > 0)
            {
                for (var i = 0; i < read; i++)
                {
                    replay.Apply(buffer[i]);
                }

                from = buffer[read - 1].Position + 1;
            }
        }
        else if (engine is IAuditSource source)
        {
            // One stream per calendar; Redis judges hold expiry by its own clock, so holds expiring within
            // a few seconds of now may read either way.
            tolerance = TimeSpan.FromSeconds(5);
            foreach (var calendar in touched)
            {
                var after = -1L;
                while (true)
                {
                    var page = await source.ReadAuditAsync(calendar, after, 1000, cancellationToken).ConfigureAwait(false);
                    foreach (var record in page)
                    {
                        replay.Apply(record);
                    }

                    if (page.Count < 1000)
                    {
                        break;
                    }

                    after = page[^1].Position;
                }
            }
        }

        long mismatches = 0;
        foreach (var calendar in replay.Calendars.ToArray())
        {
            var now = engine.Options.TimeProvider.GetUtcNow();
            var snapshot = await engine.GetCalendarAsync(calendar, cancellationToken).ConfigureAwait(false);
            mismatches += replay.Compare(snapshot, now, tolerance).Count;
        }

        // The cap, recounted from the generator's own ledger: live bookings and unexpired walked-away holds of today or later.
        // A booking left unapproved past its deadline (--approval-deadline-in) was released: no longer live.
        var end = options.TimeProvider.GetUtcNow();
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(end, options.TimeZone).DateTime);
        long overCap = 0;
        if (options.MaxActiveAppointments > 0)
        {
            overCap = ledger
                .Where(e => e.Reservation.Calendar.Day >= today
                    && ((e.State == LedgerState.Booked && !(e.Reservation.HoldExpiresAt <= end)) || (e.State == LedgerState.WalkedAway && e.Reservation.HoldExpiresAt > end)))
                .GroupBy(e => e.Reservation.Patient)
                .LongCount(g => g.Count() > options.MaxActiveAppointments);
        }

        return new LifecycleTotals(
            true,
            ByChannel(mixes),
            mixes.Sum(m => m.OnBehalf),
            mixes.Sum(m => m.RefusedCallLimit),
            mixes.Sum(m => m.RefusedActiveCap),
            mixes.Sum(m => m.NoShows),
            mixes.Sum(m => m.BarsApplied),
            mixes.Sum(m => m.RefusedBarred),
            replay.Applied,
            mismatches,
            mixes.Sum(m => m.CallLimitBreaches) + (options.Bars.Period > TimeSpan.Zero ? mixes.Sum(m => m.BarBreaches) : 0) + overCap, // bars off (--rule-off bars): the registry's bars are not the engine's
            watch.Elapsed.TotalSeconds)
        {
            Mix = true,
            Outcomes = mixes.Sum(m => m.Outcomes),
        };
    }

    /// <summary>
    /// The generator's side of the rules in a run whose engine ran without them (<c>--no-rules</c>): what the mix did
    /// (channels, on-behalf bookings, outcomes recorded) and the refusals it saw (0: the engine enforces no rule); nothing
    /// to replay.
    /// </summary>
    public static LifecycleTotals MixOnly(IReadOnlyList<LifecycleMix> mixes) =>
        LifecycleTotals.Off with
        {
            BookingsByChannel = ByChannel(mixes),
            OnBehalf = mixes.Sum(m => m.OnBehalf),
            RefusedCallLimit = mixes.Sum(m => m.RefusedCallLimit),
            RefusedActiveCap = mixes.Sum(m => m.RefusedActiveCap),
            NoShows = mixes.Sum(m => m.NoShows),
            RefusedBarred = mixes.Sum(m => m.RefusedBarred),
            Mix = true,
            Outcomes = mixes.Sum(m => m.Outcomes),
        };

    private static Dictionary<BookingChannel, long> ByChannel(IReadOnlyList<LifecycleMix> mixes)
    {
        var byChannel = new Dictionary<BookingChannel, long>();
        foreach (var channel in Enum.GetValues<BookingChannel>())
        {
            byChannel[channel] = mixes.Sum(m => m.BookingsByChannel[(int)channel]);
        }

        return byChannel;
    }
}
