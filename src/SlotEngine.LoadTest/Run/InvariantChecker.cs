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

    /// <summary>Booked or held seats that other load processes' citizens own (<c>--node-count</c> above 1), not counted as violations.</summary>
    public long OtherNodesSeats { get; set; }

    /// <summary>Node 0 of several processes: the live bookings in every process's ledger (null otherwise).</summary>
    public long? AllProcessesLedgerBookings { get; set; }

    /// <summary>Node 0 of several processes: booked seats on every calendar of the open days (null otherwise).</summary>
    public long? AllProcessesEngineBookedSeats { get; set; }

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
/// With several load processes (<c>othersBook</c>), a process recounts its own bookings: a seat booked or
/// held by a patient who is not one of its citizens' claims is the other processes', counted apart; a seat
/// its ledger says it booked but the engine shows owned by another claim is still a violation (that is
/// how a double booking across processes shows), and the untouched-calendar check is left out.
/// Calendars are read <see cref="InFlight"/> at a time through the engine's public API (on Redis each
/// read is a round trip), in chunks of <see cref="Chunk"/>, so the recount works at national size.
/// </summary>
internal static class InvariantChecker
{
    /// <summary>Calendar reads in flight at once.</summary>
    public const int InFlight = 64;

    /// <summary>Calendars read per chunk (the snapshots of one chunk are held at once).</summary>
    public const int Chunk = 4096;

    /// <summary>Runs the check.</summary>
    /// <param name="engine">The engine, after the run (nothing else changing it).</param>
    /// <param name="ledger">Every worker's ledger entries.</param>
    /// <param name="quotas">The quotas the engine enforces.</param>
    /// <param name="window">The published days still in the booking window (first, last); their untouched calendars must be wholly free.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <param name="othersBook">Whether other load processes book on the same store (their seats are not this ledger's).</param>
    /// <returns>The report.</returns>
    public static async Task<InvariantReport> CheckAsync(ISlotEngine engine, IEnumerable<LedgerEntry> ledger, QuotaPolicy quotas, (DateOnly From, DateOnly To)? window, CancellationToken cancellationToken = default, bool othersBook = false)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(quotas);
        var report = new InvariantReport();
        var live = new Dictionary<SeatKey, Reservation>();
        var holds = new Dictionary<SeatKey, long>();
        var touched = new HashSet<CalendarKey>();
        var patients = new HashSet<PatientKey>();
        foreach (var entry in ledger)
        {
            var r = entry.Reservation;
            touched.Add(r.Calendar);
            patients.Add(r.Patient);
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
        var ours = othersBook ? new HashSet<PatientKey>(patients) : null;
        foreach (var chunk in touched.Chunk(Chunk))
        {
            var snapshots = new CalendarSnapshot[chunk.Length];
            await Parallel.ForAsync(0, chunk.Length, new ParallelOptions { MaxDegreeOfParallelism = InFlight, CancellationToken = cancellationToken }, async (i, ct) =>
                snapshots[i] = await engine.GetCalendarAsync(chunk[i], ct).ConfigureAwait(false)).ConfigureAwait(false);
            for (var c = 0; c < chunk.Length; c++)
            {
                RecountCalendar(chunk[c], snapshots[c], live, holds, ours, confirmed, report);
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

    private static void RecountCalendar(CalendarKey calendar, CalendarSnapshot snapshot, Dictionary<SeatKey, Reservation> live, Dictionary<SeatKey, long> holds, HashSet<PatientKey>? ours, HashSet<SeatKey> confirmed, InvariantReport report)
    {
        report.CalendarsRecounted++;
        for (var slot = 0; slot < snapshot.SlotCount; slot++)
        {
            for (var seat = 0; seat < snapshot.Capacity; seat++)
            {
                var view = snapshot[slot, seat];
                var key = new SeatKey(calendar, slot, seat);
                if (ours is not null && view.Status is SlotStatus.Booked or SlotStatus.Held && !ours.Contains(view.Owner))
                {
                    // Another load process's citizen: its own recount checks this seat.
                    report.OtherNodesSeats++;
                }
                else if (view.Status == SlotStatus.Booked || IsUnapprovedBooking(view, key, live))
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

    // A booking awaiting approval is held in the engine until its deadline (ApprovalPolicy), and booked in the ledger.
    private static bool IsUnapprovedBooking(in SeatView view, SeatKey key, Dictionary<SeatKey, Reservation> live) =>
        view.Status == SlotStatus.Held && live.TryGetValue(key, out var booking) && booking.HoldExpiresAt is not null && booking.Token == view.Token;

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
        if (engine is not InMemorySlotEngine)
        {
            // A store answers free counts after waiting on every calendar it holds (the Redis store
            // before issue 10), which made this check quadratic in the country; one calendar at a
            // time it waits only on that calendar.
            await CheckUntouchedByCalendarAsync(engine, touched, from, to, report, cancellationToken).ConfigureAwait(false);
            return;
        }

        var providers = engine.Directory.ProviderCount;
        var free = new long[providers];
        var notFree = new long[providers];
        await Parallel.ForAsync(0, providers, new ParallelOptions { MaxDegreeOfParallelism = InFlight, CancellationToken = cancellationToken }, async (p, ct) =>
        {
            var provider = new ProviderId(p);
            var counts = await engine.GetFreeCountsAsync(provider, from, to, ct).ConfigureAwait(false);
            foreach (var count in counts)
            {
                if (touched.Contains(new CalendarKey(provider, count.Day)))
                {
                    continue;
                }

                free[p]++;
                if (count.FreeSeats + count.ReservedFreeSeats != count.TotalSeats)
                {
                    notFree[p]++;
                }
            }
        }).ConfigureAwait(false);
        report.CalendarsCheckedFree += free.Sum();
        for (var n = notFree.Sum(); n > 0; n--)
        {
            report.Violation("untouched_calendar_not_free");
        }
    }

    private static async Task CheckUntouchedByCalendarAsync(ISlotEngine engine, HashSet<CalendarKey> touched, DateOnly from, DateOnly to, InvariantReport report, CancellationToken cancellationToken)
    {
        var days = to.DayNumber - from.DayNumber + 1;
        var untouched = new List<CalendarKey>();
        for (var p = 0; p < engine.Directory.ProviderCount; p++)
        {
            for (var d = 0; d < days; d++)
            {
                var calendar = new CalendarKey(new ProviderId(p), from.AddDays(d));
                if (!touched.Contains(calendar))
                {
                    untouched.Add(calendar);
                }
            }
        }

        var notFree = 0L;
        await Parallel.ForAsync(0, untouched.Count, new ParallelOptions { MaxDegreeOfParallelism = InFlight, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            var snapshot = await engine.GetCalendarAsync(untouched[i], ct).ConfigureAwait(false);
            for (var slot = 0; slot < snapshot.SlotCount; slot++)
            {
                for (var seat = 0; seat < snapshot.Capacity; seat++)
                {
                    if (snapshot[slot, seat].Status is SlotStatus.Held or SlotStatus.Booked)
                    {
                        Interlocked.Increment(ref notFree);
                        return;
                    }
                }
            }
        }).ConfigureAwait(false);
        report.CalendarsCheckedFree += untouched.Count;
        for (var n = notFree; n > 0; n--)
        {
            report.Violation("untouched_calendar_not_free");
        }
    }

    private readonly record struct SeatKey(CalendarKey Calendar, int Slot, int Seat);
}
