namespace SlotEngine;

public sealed partial class InMemorySlotEngine
{
    /// <summary>Opens a provider's day: its slots become free. Publishing it again with an equal template does nothing.</summary>
    /// <param name="provider">A registered provider.</param>
    /// <param name="day">The local day.</param>
    /// <param name="template">How the day is cut.</param>
    /// <returns><see langword="true"/> when the day was opened by this call.</returns>
    /// <exception cref="SlotEngineArgumentException">Unknown provider; the day is open with another template; or the provider has too many days open.</exception>
    public bool Publish(ProviderId provider, DateOnly day, DayTemplate template)
    {
        ArgumentNullException.ThrowIfNull(template);
        var entry = Directory.GetProvider(provider);
        entry.Publish(LayoutFor(template, day), Today, out var created);
        if (created && _prepareQuotaDays)
        {
            // The day's quota tables, sized by ExpectedClaimsPerDay, are made with the day, not on its first claim.
            _quotas.Prepare(Options.Quotas, day);
        }

        OfferPublished(created, new CalendarKey(provider, day));
        return created;
    }

    /// <summary>
    /// Allocates a day's per-day tables (its quota tables and the hold-expiry table of its
    /// template) for <paramref name="expectedClaims"/> holds and books, ahead of its rush: a day
    /// released to the whole country takes far more claims than
    /// <see cref="SlotEngineOptions.ExpectedClaimsPerDay"/> plans for every day, and growing its
    /// tables during the rush allocates large arrays. Call it before the day is published; a day
    /// whose tables exist keeps them (they still grow as needed).
    /// </summary>
    /// <param name="day">The local day.</param>
    /// <param name="template">The template the day will be published with.</param>
    /// <param name="expectedClaims">Holds and books expected on the day, 0 to 50,000,000 (about 56 bytes of tables per claim with MHRS quotas, allocated now).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="expectedClaims"/> is out of range.</exception>
    public void PrepareDay(DateOnly day, DayTemplate template, int expectedClaims)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentOutOfRangeException.ThrowIfNegative(expectedClaims);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(expectedClaims, 50_000_000);
        _layouts.GetOrAdd((template, day), static (key, state) => new DayLayout(key.Template, key.Day, state.Zone, state.Claims) { ApprovalLapses = state.Lapses, ApprovalDeadlineTicks = state.Rules.ApprovalOf(key.Day).DeadlineUtcTicks, WidePatients = state.Wide, ExpectedCalendars = state.Calendars }, (Zone: _zone, Claims: expectedClaims, Lapses: _lapses, Rules: _rules, Wide: _patients.Capacity > 65_536, Calendars: Directory.ProviderCount));
        if (!_quotasByCap)
        {
            _quotas.Prepare(Options.Quotas, day, expectedClaims);
        }
    }

    /// <summary>Withdraws a day: every seat closes, the calendar is removed, and the holds and bookings it had are returned.</summary>
    /// <param name="calendar">The calendar.</param>
    /// <returns>What was displaced.</returns>
    /// <exception cref="SlotEngineArgumentException">Unknown provider or unpublished day.</exception>
    public BlockResult Withdraw(CalendarKey calendar)
    {
        var target = RequireCalendar(calendar);
        var result = BlockOn(target, new SlotRange(0, target.SlotCount));
        target.Provider.Remove(target);
        return result;
    }

    /// <summary>Closes slots on every seat (the doctor is on leave); returns the holds and bookings displaced.</summary>
    /// <param name="calendar">The calendar.</param>
    /// <param name="slots">The slots to close.</param>
    /// <returns>What was closed and displaced.</returns>
    /// <exception cref="SlotEngineArgumentException">Unknown provider, unpublished day, or slots out of range.</exception>
    public BlockResult Block(CalendarKey calendar, SlotRange slots)
    {
        var target = RequireCalendar(calendar);
        ValidateRange(target, slots, withinOneSession: false);
        return BlockOn(target, slots);
    }

    private BlockResult BlockOn(Calendar calendar, SlotRange slots)
    {
        var removed = new List<RemovedClaim>();
        var closed = calendar.Block(slots.First, slots.Length, NowTicks(), removed);
        var displaced = new DisplacedClaim[removed.Count];
        var ledger = Volatile.Read(ref _active);
        for (var i = 0; i < removed.Count; i++)
        {
            // After the calendar's change: the cap's entry naming a displaced claim is free again (ActiveLedger.Forget).
            ledger?.Forget(removed[i].Patient, calendar, removed[i].First, removed[i].Token);
            displaced[i] = new DisplacedClaim(ToReservation(calendar, removed[i]), removed[i].WasBooked);
            AuditDisplaced(displaced[i]);
        }

        return new BlockResult(closed, displaced);
    }

    /// <summary>Opens closed slots again (not those the template does not offer, such as a daylight-saving gap).</summary>
    /// <param name="calendar">The calendar.</param>
    /// <param name="slots">The slots.</param>
    /// <returns>How many seats opened.</returns>
    /// <exception cref="SlotEngineArgumentException">Unknown provider, unpublished day, or slots out of range.</exception>
    public int Reopen(CalendarKey calendar, SlotRange slots)
    {
        var target = RequireCalendar(calendar);
        ValidateRange(target, slots, withinOneSession: false);
        return OfferReopened(calendar, target.Reopen(slots.First, slots.Length));
    }

    /// <summary>
    /// The first broken invariant of any open calendar (see <see cref="Calendar.FindQuiescentViolation"/>),
    /// or null when all hold. Valid only while no operation is in progress: tests call it after every
    /// step of a model run and at the end of a stress run.
    /// </summary>
    internal string? FindQuiescentViolation()
    {
        foreach (var provider in Directory.AllProviders())
        {
            foreach (var calendar in provider.OpenCalendars())
            {
                if (calendar.FindQuiescentViolation() is { } violation)
                {
                    return violation;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Reclaims every expired hold now (they would otherwise be taken lazily by the next claim that
    /// meets them), and forgets quota records of past days and idempotency keys past retention.
    /// </summary>
    /// <returns>The holds reclaimed (unapproved bookings past their deadline included; <see cref="Sweep"/> reports them apart).</returns>
    public IReadOnlyList<Reservation> SweepExpiredHolds()
    {
        var reclaimed = new List<Reservation>();
        SweepInto(reclaimed, reclaimed);
        PurgeWishesIfDue();
        return reclaimed;
    }

    private void SweepInto(List<Reservation> reclaimed, List<Reservation> unapproved)
    {
        var now = NowTicks();
        var removed = new List<RemovedClaim>();
        if (TakeListed(out var listed))
        {
            // The calendars that may hold holds (InMemorySlotEngine.SweepList.cs), not every open one, and the parked
            // ones whose earliest hold is due.
            TakeParked(now, listed);
            foreach (var calendar in listed)
            {
                if (ReferenceEquals(FindCalendar(calendar.Key), calendar))
                {
                    ReclaimInto(calendar, now, removed, reclaimed, unapproved);
                }

                Relist(calendar, now);
            }

            GiveBackListed(listed);
            InCalendarOrder(reclaimed);
            if (!ReferenceEquals(unapproved, reclaimed))
            {
                InCalendarOrder(unapproved);
            }
        }
        else
        {
            foreach (var provider in Directory.AllProviders())
            {
                foreach (var calendar in provider.OpenCalendars())
                {
                    ReclaimInto(calendar, now, removed, reclaimed, unapproved);
                }
            }
        }

        var today = TodayAt(now);
        _quotas.Purge(today);
        TrimAuditToMaxRecords();

        // Past days' layouts (and their hold-expiry tables) are no longer pinned here; they go when
        // their calendars leave the providers' rings. Once a day: each group's purge takes all its
        // dictionary's locks to list its days (36,450 groups in the load generator's default run),
        // which made these loops most of a sweep's time though a day passes once. The exchange: the one
        // sweep that moves the field to today runs the purges; a racing sweep of the same day finds today
        // already there and skips (the purges only drop past days, so a clock stepping back repeats them, harmlessly).
        if (Interlocked.Exchange(ref _purgedForDay, today.DayNumber) != today.DayNumber)
        {
            foreach (var key in _layouts.Keys)
            {
                if (key.Day < today)
                {
                    _layouts.TryRemove(key, out _);
                }
            }

            foreach (var group in Directory.Groups)
            {
                group.PurgeBefore(today);
            }
        }

        _idempotency.Purge(now, _idempotencyRetentionTicks);

        // Both kinds freed their slots: the waitlist is offered them alike.
        OfferFreed(reclaimed);
        if (!ReferenceEquals(unapproved, reclaimed))
        {
            OfferFreed(unapproved);
        }
    }

    // The day whose past-day purges the last sweep ran (a DayNumber; int.MinValue before the first sweep).
    private int _purgedForDay = int.MinValue;

    private void ReclaimInto(Calendar calendar, long now, List<RemovedClaim> removed, List<Reservation> reclaimed, List<Reservation> unapproved)
    {
        if (!calendar.HasHolds)
        {
            return;
        }

        removed.Clear();
        calendar.ReclaimExpiredHolds(now, removed);
        foreach (var claim in removed)
        {
            (claim.AwaitedApproval ? unapproved : reclaimed).Add(ToReservation(calendar, claim));
        }
    }
}
