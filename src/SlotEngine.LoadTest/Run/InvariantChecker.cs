namespace SlotEngine.LoadTest.Run;

/// <summary>The outcome of recounting the engine against the ledger.</summary>
internal sealed class InvariantReport
{
    /// <summary>Seats with two or more live confirmed bookings in the ledger: the engine gave one seat twice.</summary>
    public long DoubleBookings { get; set; }

    /// <summary>Every other disagreement (see <see cref="Problems"/>).</summary>
    public long Violations { get; set; }

    /// <summary>Live bookings in the ledger.</summary>
    public long LedgerBookings { get; set; }

    /// <summary>Booked seats the engine shows on the calendars the generator touched.</summary>
    public long EngineBookedSeats { get; set; }

    /// <summary>Calendars recounted seat by seat.</summary>
    public long CalendarsRecounted { get; set; }

    /// <summary>Calendars never claimed on, checked to be wholly free by their free counts.</summary>
    public long CalendarsCheckedFree { get; set; }

    /// <summary>Counts per kind of problem.</summary>
    public SortedDictionary<string, long> Problems { get; } = new(StringComparer.Ordinal);

    /// <summary>Counts a violation of a kind.</summary>
    /// <param name="kind">What was wrong.</param>
    public void Violation(string kind)
    {
        Violations++;
        Problems[kind] = Problems.GetValueOrDefault(kind) + 1;
    }
}

/// <summary>
/// Recounts the engine against the generator's ledger after a run:
/// <list type="bullet">
/// <item>no seat has two live confirmed bookings in the ledger (a double booking);</item>
/// <item>every seat the engine shows booked has exactly one live ledger booking with its token and owner, and every live ledger booking is booked in the engine;</item>
/// <item>every seat the engine shows held belongs to a hold the generator walked away from;</item>
/// <item>no patient has more live bookings than the quotas allow (per clinic per day, per facility per day);</item>
/// <item>calendars the generator never claimed on are wholly free (by the engine's free counts, for days still in the booking window).</item>
/// </list>
/// </summary>
internal static class InvariantChecker
{
    /// <summary>Runs the check.</summary>
    /// <param name="engine">The engine, after the run (nothing else changing it).</param>
    /// <param name="ledger">Every worker's ledger entries.</param>
    /// <param name="quotas">The quotas the engine enforces.</param>
    /// <param name="window">The published days still in the booking window (first, last); their untouched calendars must be wholly free.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>The report.</returns>
    public static async Task<InvariantReport> CheckAsync(ISlotEngine engine, IEnumerable<LedgerEntry> ledger, QuotaPolicy quotas, (DateOnly From, DateOnly To)? window, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(quotas);
        var report = new InvariantReport();
        var live = new Dictionary<SeatKey, Reservation>();
        var holds = new Dictionary<SeatKey, long>();
        var touched = new HashSet<CalendarKey>();
        foreach (var entry in ledger)
        {
            var r = entry.Reservation;
            touched.Add(r.Calendar);
            for (var slot = r.Slots.First; slot < r.Slots.End; slot++)
            {
                var key = new SeatKey(r.Calendar, slot, r.Seat);
                if (entry.State == LedgerState.Booked)
                {
                    if (!live.TryAdd(key, r))
                    {
                        report.DoubleBookings++;
                    }
                }
                else if (entry.State == LedgerState.WalkedAway)
                {
                    holds[key] = Math.Max(holds.GetValueOrDefault(key), r.Token);
                }
            }
        }

        report.LedgerBookings = live.Count;
        CheckQuotas(engine.Directory, live.Values, quotas, report);
        var confirmed = new HashSet<SeatKey>();
        foreach (var calendar in touched)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var snapshot = await engine.GetCalendarAsync(calendar, cancellationToken).ConfigureAwait(false);
            report.CalendarsRecounted++;
            for (var slot = 0; slot < snapshot.SlotCount; slot++)
            {
                for (var seat = 0; seat < snapshot.Capacity; seat++)
                {
                    var view = snapshot[slot, seat];
                    var key = new SeatKey(calendar, slot, seat);
                    if (view.Status == SlotStatus.Booked)
                    {
                        report.EngineBookedSeats++;
                        if (!live.TryGetValue(key, out var booking))
                        {
                            report.Violation("engine_booked_seat_without_ledger_booking");
                        }
                        else if (booking.Token != view.Token || booking.Patient != view.Owner)
                        {
                            report.Violation("engine_booked_seat_owned_by_another_claim");
                        }
                        else
                        {
                            confirmed.Add(key);
                        }
                    }
                    else if (view.Status == SlotStatus.Held && holds.GetValueOrDefault(key) != view.Token)
                    {
                        report.Violation("engine_held_seat_without_ledger_hold");
                    }
                }
            }
        }

        foreach (var key in live.Keys)
        {
            if (!confirmed.Contains(key))
            {
                report.Violation("ledger_booking_missing_in_engine");
            }
        }

        if (window is { } w)
        {
            await CheckUntouchedAsync(engine, touched, w.From, w.To, report, cancellationToken).ConfigureAwait(false);
        }
        return report;
    }

    private static void CheckQuotas(SlotDirectory directory, IEnumerable<Reservation> bookings, QuotaPolicy quotas, InvariantReport report)
    {
        var counts = new Dictionary<(ulong Patient, QuotaScope Scope, int Id, DateOnly Day), int>();
        foreach (var booking in bookings)
        {
            var clinic = directory.ClinicOf(booking.Calendar.Provider);
            foreach (var rule in quotas.Rules)
            {
                var id = rule.Scope switch
                {
                    QuotaScope.Provider => booking.Calendar.Provider.Value,
                    QuotaScope.Clinic => clinic.Value,
                    _ => directory.FacilityOf(clinic).Value,
                };
                var key = (booking.Patient.Value, rule.Scope, id, booking.Calendar.Day);
                var count = counts.GetValueOrDefault(key) + 1;
                counts[key] = count;
                if (count == rule.MaxPerDay + 1)
                {
                    report.Violation("quota_exceeded_" + rule.Scope.ToString().ToLowerInvariant());
                }
            }
        }
    }

    private static async Task CheckUntouchedAsync(ISlotEngine engine, HashSet<CalendarKey> touched, DateOnly from, DateOnly to, InvariantReport report, CancellationToken cancellationToken)
    {
        var providers = engine.Directory.ProviderCount;
        for (var p = 0; p < providers; p++)
        {
            var provider = new ProviderId(p);
            var counts = await engine.GetFreeCountsAsync(provider, from, to, cancellationToken).ConfigureAwait(false);
            foreach (var count in counts)
            {
                if (touched.Contains(new CalendarKey(provider, count.Day)))
                {
                    continue;
                }

                report.CalendarsCheckedFree++;
                if (count.FreeSeats != count.TotalSeats)
                {
                    report.Violation("untouched_calendar_not_free");
                }
            }
        }
    }

    private readonly record struct SeatKey(CalendarKey Calendar, int Slot, int Seat);
}
