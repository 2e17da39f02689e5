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
        var reserved = UnreleasedReservation(target.Layout, now);
        var lowestReserved = reserved is null ? int.MaxValue : target.Capacity - Math.Min(reserved.Seats, target.Capacity);
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
                    raw.Status == SlotStatus.Held && raw.HoldExpiryTicks != long.MaxValue ? new DateTimeOffset(raw.HoldExpiryTicks, TimeSpan.Zero) : null)
                {
                    AwaitsApproval = raw.AwaitsApproval,
                    ReservedFor = seat >= lowestReserved && slot % reserved!.EveryNthSlot == 0 ? reserved.Pool : null,
                };
            }
        }

        return new CalendarSnapshot(target.Key, target.Layout.Template, version, seats, starts);
    }

    /// <summary>
    /// Free seats per published day of a provider; days outside the booking window count 0, and past slots never count.
    /// Seats a day's reservation keeps for a pool (not yet released) are counted apart, in
    /// <see cref="DayFreeCount.ReservedFreeSeats"/>, not in <see cref="DayFreeCount.FreeSeats"/>: the plain count is
    /// what anyone may claim.
    /// </summary>
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
            var fromSlot = calendar.Layout.FirstSlotAfter(now);
            var free = calendar.CountFree(fromSlot);
            var reservedFree = UnreleasedReservation(calendar.Layout, now) is { } reserved ? Math.Min(free, calendar.CountReservedFree(fromSlot, reserved, now)) : 0;
            counts.Add(new DayFreeCount(day, free - reservedFree, total) { ReservedFreeSeats = reservedFree });
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
        var buffer = new FreeStart[query.Count];
        var found = FindEarliest(query, buffer);
        return found == buffer.Length ? buffer : buffer[..found];
    }

    /// <summary>
    /// The earliest free starts, written into <paramref name="destination"/> (at most
    /// <see cref="EarliestQuery.Count"/> of them); allocates nothing for clinic and city + branch queries.
    /// </summary>
    /// <param name="query">The query.</param>
    /// <param name="destination">Where the starts go, in order of start, then provider.</param>
    /// <returns>How many starts were written.</returns>
    /// <exception cref="SlotEngineArgumentException">The query names an unknown clinic or provider.</exception>
    public int FindEarliest(EarliestQuery query, Span<FreeStart> destination)
    {
        ArgumentNullException.ThrowIfNull(query);

        // A city + branch query looks its group up once, and only when it needs it: the members to scan, or a day
        // index the query does not remember (a search answered by the index it remembers reads no group).
        var cityBranch = query.City is not null && query.Branch is not null;
        BranchGroup? cityGroup = null;
        var groupLooked = false;
        ReadOnlySpan<ProviderEntry> providers = default;
        var providersResolved = false;
        BranchGroup? clinicGroup = null;
        var now = NowTicks();
        var today = TodayAt(now);
        var firstDay = Math.Max(query.From.DayNumber, today.DayNumber + Options.EarliestBookableDayOffset);
        var lastDay = Math.Min(query.To.DayNumber, today.DayNumber + Options.BookingHorizonDays);
        var wanted = Math.Min(query.Count, destination.Length);
        var perCalendar = Math.Clamp(query.StartsPerCalendar, 1, Math.Max(1, wanted));
        Span<int> starts = perCalendar <= 64 ? stackalloc int[perCalendar] : new int[perCalendar];
        var found = 0;

        // A city + branch search for single slots, one per calendar, reads the group's day index.
        var singles = cityBranch && query.Length == 1 && perCalendar == 1;
        for (var dayNumber = firstDay; dayNumber <= lastDay && found < wanted; dayNumber++)
        {
            var day = DateOnly.FromDayNumber(dayNumber);
            if (singles && DayIndexOf(query, dayNumber, ref cityGroup, ref groupLooked) is { IsIncomplete: false } index)
            {
                if (!HidesReserved(query, index.Layout, now))
                {
                    found = index.FindEarliestSingles(index.Layout.FirstSlotAfter(now), now, index.IdsAscending, destination[..wanted], found);
                    continue;
                }

                if (TrySinglesOutsidePool(index, day, now, destination[..wanted], ref found))
                {
                    continue;
                }
            }

            if (!providersResolved)
            {
                if (cityBranch && !groupLooked)
                {
                    cityGroup = GroupOf(query, query.City!.Value, query.Branch!.Value);
                    groupLooked = true;
                }

                providers = cityGroup is not null ? cityGroup.Members : ResolveProviders(query);
                providersResolved = true;

                // A clinic's providers are all in its (city, branch) group: that group's day index can tell that none
                // of them has a seat left on a day, without a visit to each calendar.
                clinicGroup = query.Clinic is not null && providers.Length > 0 ? providers[0].Group : null;
            }

            if (clinicGroup?.TryGetIndex(day) is { IsIncomplete: false } dayIndex && !dayIndex.MayOfferFrom(dayIndex.Layout.FirstSlotAfter(now)))
            {
                continue; // no member of the group (so no provider of the clinic) has a free or held seat left that day
            }

            // Every start of a day comes before every start of the next, so each day fills the
            // next places of the result: a sorted top-k of what is still wanted.
            var top = new TopStarts(destination.Slice(found, wanted - found));
            foreach (var entry in providers)
            {
                if (entry.GetCalendar(day) is not { } calendar)
                {
                    continue;
                }

                calendar.ReclaimExpiredHolds(now, null);

                // Skip a full calendar by its free count before scanning for runs.
                if (!calendar.HasFreeSeats(query.Length))
                {
                    continue;
                }

                // The calendar's first start alone, then (only when it made the top) the rest: once the top is full most
                // calendars lose with their first start, and finding the others would be wasted.
                var layout = calendar.Layout;
                var hides = HidesReserved(query, layout, now);
                var fromSlot = layout.FirstSlotAfter(now);
                var count = FindStartsOn(calendar, query.Length, fromSlot, starts[..1], hides, layout);
                if (count == 0 || !top.TryAdd(new FreeStart(calendar.Key, new SlotRange(starts[0], query.Length), layout.StartOf(starts[0]))))
                {
                    continue; // later starts of this calendar cannot do better
                }

                // A second read of a calendar that claims may change between the two: only its starts after the first
                // one taken are added (never that one twice).
                var first = starts[0];
                count = starts.Length > 1 ? FindStartsOn(calendar, query.Length, fromSlot, starts, hides, layout) : 0;
                for (var i = 0; i < count; i++)
                {
                    if (starts[i] > first && !top.TryAdd(new FreeStart(calendar.Key, new SlotRange(starts[i], query.Length), layout.StartOf(starts[i]))))
                    {
                        break; // later starts of this calendar cannot do better
                    }
                }
            }

            // A day where the clinic had nothing gets its group's index (if it has none yet), so that the next search
            // skips the day while it stays full. Only such days: an index makes every later claim on its calendars
            // refresh it, which a day still being booked should not pay for a clinic search's sake.
            if (top.Count == 0 && clinicGroup is not null)
            {
                IndexOf(clinicGroup, day);
            }

            found += top.Count;
        }

        return found;
    }

    /// <summary>A calendar's earliest starts from <paramref name="fromSlot"/> (the same ones, in the same order, whatever the span's length).</summary>
    private int FindStartsOn(Calendar calendar, int length, int fromSlot, Span<int> starts, bool hidesReserved, DayLayout layout) => hidesReserved
        ? calendar.FindStartsOutsidePool(length, fromSlot, starts, ReservedOf(layout)!.Seats, ReservedOf(layout)!)
        : calendar.FindStarts(length, fromSlot, starts);

    /// <summary>The query's (city, branch) group in this engine: the one the query remembers when it is this engine's, else looked up (and remembered).</summary>
    private BranchGroup? GroupOf(EarliestQuery query, CityCode city, BranchId branch)
    {
        if (Volatile.Read(ref query.CachedGroup) is { } cached && ReferenceEquals(cached.Owner, Directory))
        {
            return cached;
        }

        var group = Directory.GroupOf(city, branch);
        if (group is not null)
        {
            Volatile.Write(ref query.CachedGroup, group);
        }

        return group;
    }

    /// <summary>
    /// The day index of a city + branch query's group for <paramref name="dayNumber"/>: the one the query remembers when it
    /// is this engine's and this day's, else the group's (the group looked up once per search, and the index remembered);
    /// null when no member has the day open.
    /// </summary>
    private BranchDayIndex? DayIndexOf(EarliestQuery query, int dayNumber, ref BranchGroup? group, ref bool groupLooked)
    {
        if (Volatile.Read(ref query.CachedIndex) is { } cached && cached.DayNumber == dayNumber && ReferenceEquals(cached.Owner, Directory))
        {
            return cached;
        }

        if (!groupLooked)
        {
            group = GroupOf(query, query.City!.Value, query.Branch!.Value);
            groupLooked = true;
        }

        if (group is null || IndexOf(group, DateOnly.FromDayNumber(dayNumber)) is not { } index)
        {
            return null;
        }

        Volatile.Write(ref query.CachedIndex, index);
        return index;
    }

    /// <summary>The group's index of a day, made now if this is the day's first search; null when no member has the day open.</summary>
    private static BranchDayIndex? IndexOf(BranchGroup group, DateOnly day)
    {
        if (group.TryGetIndex(day) is { } index)
        {
            return index;
        }

        foreach (var member in group.Members)
        {
            if (member.GetCalendar(day) is { } calendar)
            {
                return group.IndexFor(day, calendar.Layout);
            }
        }

        return null;
    }

    private ReadOnlySpan<ProviderEntry> ResolveProviders(EarliestQuery query)
    {
        if (query.Clinic is { } clinic)
        {
            return Directory.GetClinic(clinic).Entries;
        }

        if (query.City is { } city && query.Branch is { } branch)
        {
            return Directory.ProvidersIn(city, branch);
        }

        var list = new ProviderEntry[query.Providers?.Count ?? 0];
        for (var i = 0; i < list.Length; i++)
        {
            list[i] = Directory.GetProvider(query.Providers![i]);
        }

        return list;
    }

    /// <summary>The best starts seen so far, kept sorted by start, then provider, then slot, in a caller's span.</summary>
    private ref struct TopStarts(Span<FreeStart> places)
    {
        private readonly Span<FreeStart> _places = places;

        public int Count { get; private set; }

        /// <summary>Adds a start if it is among the best; false when it is not (nor would any later start of the same calendar be).</summary>
        public bool TryAdd(in FreeStart start)
        {
            if (_places.IsEmpty)
            {
                return false;
            }

            if (Count == _places.Length && !Before(start, _places[Count - 1]))
            {
                return false;
            }

            var at = Count == _places.Length ? Count - 1 : Count;
            while (at > 0 && Before(start, _places[at - 1]))
            {
                _places[at] = _places[at - 1];
                at--;
            }

            _places[at] = start;
            if (Count < _places.Length)
            {
                Count++;
            }

            return true;
        }

        private static bool Before(in FreeStart a, in FreeStart b)
        {
            var byStart = a.Start.UtcTicks.CompareTo(b.Start.UtcTicks);
            if (byStart != 0)
            {
                return byStart < 0;
            }

            var byProvider = a.Calendar.Provider.Value.CompareTo(b.Calendar.Provider.Value);
            return byProvider != 0 ? byProvider < 0 : a.Slots.First < b.Slots.First;
        }
    }
}
