namespace SlotEngine;

public sealed partial class InMemorySlotEngine
{
    /// <summary>The slot states of one calendar (a lock-free snapshot; a hint).</summary>
    /// <param name="calendar">The calendar.</param>
    /// <returns>The snapshot.</returns>
    /// <exception cref="SlotEngineArgumentException">Unknown provider or unpublished day.</exception>
    public CalendarSnapshot GetCalendar(CalendarKey calendar)
    {
        var target = RequireCalendar(calendar);
        var now = NowTicks();
        var version = target.Version;
        var seats = new SeatView[target.SlotCount * target.Capacity];
        var starts = new DateTimeOffset[target.SlotCount];
        for (var slot = 0; slot < target.SlotCount; slot++)
        {
            starts[slot] = target.Layout.StartOf(slot);
            for (var seat = 0; seat < target.Capacity; seat++)
            {
                var raw = target.ReadSeat(seat, slot, now);
                seats[(seat * target.SlotCount) + slot] = new SeatView(
                    raw.Status,
                    raw.Status is SlotStatus.Held or SlotStatus.Booked && raw.Token != 0 ? _patients.KeyAt(raw.Patient) : default,
                    raw.Token,
                    raw.Status == SlotStatus.Held && raw.HoldExpiryTicks != long.MaxValue ? new DateTimeOffset(raw.HoldExpiryTicks, TimeSpan.Zero) : null);
            }
        }

        return new CalendarSnapshot(target.Key, target.Layout.Template, version, seats, starts);
    }

    /// <summary>Free seats per published day of a provider; days outside the booking window count 0, and past slots never count.</summary>
    /// <param name="provider">The provider.</param>
    /// <param name="from">First day.</param>
    /// <param name="to">Last day (inclusive), at most 366 days after <paramref name="from"/>.</param>
    /// <returns>One entry per published day in the range, in date order.</returns>
    /// <exception cref="SlotEngineArgumentException">Unknown provider or a bad range.</exception>
    public IReadOnlyList<DayFreeCount> GetFreeCounts(ProviderId provider, DateOnly from, DateOnly to)
    {
        if (to < from || to.DayNumber - from.DayNumber > 366)
        {
            throw new SlotEngineArgumentException(SlotEngineError.InvalidDateRange, $"The date range {from:yyyy-MM-dd}..{to:yyyy-MM-dd} must not end before it starts nor span more than 366 days.", nameof(to));
        }

        var entry = Directory.GetProvider(provider);
        var now = NowTicks();
        var today = TodayAt(now);
        var counts = new List<DayFreeCount>();
        for (var day = from; day <= to; day = day.AddDays(1))
        {
            if (entry.GetCalendar(day) is not { } calendar)
            {
                continue;
            }

            var total = calendar.SlotCount * calendar.Capacity;
            if (!InBookingWindow(day, today))
            {
                counts.Add(new DayFreeCount(day, 0, total));
                continue;
            }

            calendar.ReclaimExpiredHolds(now, null);
            counts.Add(new DayFreeCount(day, calendar.CountFree(calendar.Layout.FirstSlotAfter(now)), total));
        }

        return counts;
    }

    /// <summary>
    /// The earliest free starts for an appointment of <see cref="EarliestQuery.Length"/> slots, in
    /// order of start, then provider; days outside the booking window and past slots are skipped.
    /// </summary>
    /// <param name="query">The query.</param>
    /// <returns>At most <see cref="EarliestQuery.Count"/> starts.</returns>
    /// <exception cref="SlotEngineArgumentException">The query names an unknown clinic or provider.</exception>
    public IReadOnlyList<FreeStart> FindEarliest(EarliestQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var providers = ResolveProviders(query);
        var now = NowTicks();
        var today = TodayAt(now);
        var firstDay = Math.Max(query.From.DayNumber, today.DayNumber + Options.EarliestBookableDayOffset);
        var lastDay = Math.Min(query.To.DayNumber, today.DayNumber + Options.BookingHorizonDays);
        var results = new List<FreeStart>(Math.Min(query.Count, 64));
        var perCalendar = Math.Clamp(query.StartsPerCalendar, 1, query.Count);
        Span<int> starts = perCalendar <= 64 ? stackalloc int[perCalendar] : new int[perCalendar];
        var dayCandidates = new List<FreeStart>();
        for (var dayNumber = firstDay; dayNumber <= lastDay && results.Count < query.Count; dayNumber++)
        {
            var day = DateOnly.FromDayNumber(dayNumber);
            dayCandidates.Clear();
            foreach (var entry in providers)
            {
                if (entry.GetCalendar(day) is not { } calendar)
                {
                    continue;
                }

                calendar.ReclaimExpiredHolds(now, null);

                // Skip a full calendar by its free count before touching its words.
                if (calendar.FreeSeats < query.Length)
                {
                    continue;
                }

                var found = calendar.FindStarts(query.Length, calendar.Layout.FirstSlotAfter(now), starts);
                for (var i = 0; i < found; i++)
                {
                    dayCandidates.Add(new FreeStart(calendar.Key, new SlotRange(starts[i], query.Length), calendar.Layout.StartOf(starts[i])));
                }
            }

            dayCandidates.Sort(static (a, b) =>
            {
                var byStart = a.Start.UtcTicks.CompareTo(b.Start.UtcTicks);
                return byStart != 0 ? byStart : a.Calendar.Provider.Value.CompareTo(b.Calendar.Provider.Value);
            });
            for (var i = 0; i < dayCandidates.Count && results.Count < query.Count; i++)
            {
                results.Add(dayCandidates[i]);
            }
        }

        return results;
    }

    private List<ProviderEntry> ResolveProviders(EarliestQuery query)
    {
        var list = new List<ProviderEntry>();
        if (query.Clinic is { } clinic)
        {
            foreach (var id in Directory.GetClinic(clinic).Providers)
            {
                list.Add(Directory.GetProvider(id));
            }
        }
        else if (query.City is { } city && query.Branch is { } branch)
        {
            foreach (var entry in Directory.ClinicsIn(city, branch))
            {
                foreach (var id in entry.Providers)
                {
                    list.Add(Directory.GetProvider(id));
                }
            }
        }
        else if (query.Providers is { } providers)
        {
            foreach (var id in providers)
            {
                list.Add(Directory.GetProvider(id));
            }
        }

        return list;
    }
}
