namespace SlotEngine;

/// <summary>
/// A template laid onto one local day in one time zone: each slot's start as a UTC instant, and
/// which slots are not offered because their local start does not exist (the spring-forward gap
/// of daylight saving). Ambiguous local times (the fall-back hour) take their first occurrence
/// (the daylight-saving offset). A gap slot's start is one tick after the slot before it, or, for
/// gap slots that open the day, just before the first slot that exists; so slot starts strictly
/// increase. Shared by every calendar with the same template and day; immutable and thread-safe but for
/// the day's arena of hold expiries (internal), which is lock-free.
/// </summary>
/// <remarks>
/// Public for store authors (advanced): a store lays a published day out exactly as the engine does, for
/// the initial bitmap (<see cref="IsOffered"/>) and for the instants its scripts compare with their own
/// clock (<see cref="StartUtcTicks"/>). Times are UTC ticks (<see cref="DateTime.Ticks"/> of a UTC instant).
/// </remarks>
public sealed class DayLayout
{
    /// <summary>The smallest first segment of the day's hold-expiry table (then eight times larger each).</summary>
    private const int MinHoldBits = 10;
    private readonly long[] _startUtcTicks;
    private readonly bool[] _offered;
    private readonly int _holdBits;
    private KeyTable? _holdExpiries;
    private DaySlab? _slab;

    /// <summary>
    /// Whether the engine's patient directory already gives indices above 65,535 (its table has more places): then each
    /// of this layout's slabs makes its page of patient high halves with the slab, at publish, rather than on a claim.
    /// </summary>
    internal bool WidePatients { get; init; }

    /// <summary>Who is told when an unapproved booking of this day lapses (the engine that made the layout), or null.</summary>
    internal IApprovalLapses? ApprovalLapses { get; init; }

    /// <summary>
    /// The day's approval deadline in UTC ticks (<see cref="ApprovalPolicy"/>; 0 when the engine that made the layout has
    /// none): the expiry of every unapproved booking of the day in memory, which the approval bit of its head carries (a
    /// confirm does not write it into the hold's expiry place; see <c>Calendar.TryAwaitApproval</c>).
    /// </summary>
    internal long ApprovalDeadlineTicks { get; init; }

    /// <summary>Lays <paramref name="template"/> onto <paramref name="day"/> in <paramref name="zone"/>.</summary>
    /// <param name="template">The template.</param>
    /// <param name="day">The local day.</param>
    /// <param name="zone">The zone the day is local to.</param>
    public DayLayout(DayTemplate template, DateOnly day, TimeZoneInfo zone)
        : this(template, day, zone, 0)
    {
    }

    /// <summary>Lays a template onto a day, with the day's hold-expiry table sized up front.</summary>
    /// <param name="template">The template.</param>
    /// <param name="day">The local day.</param>
    /// <param name="zone">The engine's zone.</param>
    /// <param name="expectedHolds">Holds the day is expected to receive (0: none known): its hold-expiry table is allocated for them now rather than grown on the first holds.</param>
    internal DayLayout(DayTemplate template, DateOnly day, TimeZoneInfo zone, int expectedHolds)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(zone);
        _holdBits = KeyTable.BitsFor(expectedHolds, MinHoldBits, 24);
        if (expectedHolds > 0)
        {
            _holdExpiries = new KeyTable(_holdBits, payloadLength: 1);
        }

        Template = template;
        Day = day;
        var count = template.SlotCount;
        _startUtcTicks = new long[count];
        _offered = new bool[count];
        for (var slot = 0; slot < count; slot++)
        {
            var local = day.ToDateTime(template.StartOf(slot), DateTimeKind.Unspecified);
            if (zone.IsInvalidTime(local))
            {
                // The local time never happens on this day: the slot is not offered. Its start is
                // one tick after the previous slot's (gap slots that open the day are placed below).
                _offered[slot] = false;
                _startUtcTicks[slot] = slot > 0 ? _startUtcTicks[slot - 1] + 1 : local.Ticks - zone.BaseUtcOffset.Ticks;
                continue;
            }

            TimeSpan offset;
            if (zone.IsAmbiguousTime(local))
            {
                var offsets = zone.GetAmbiguousTimeOffsets(local);
                offset = offsets.Max();
            }
            else
            {
                offset = zone.GetUtcOffset(local);
            }

            _offered[slot] = true;
            _startUtcTicks[slot] = local.Ticks - offset.Ticks;
        }

        // Gap slots that open the day go just before the first slot that exists: with the standard
        // offset they would map onto (or after) the first instant past the gap.
        var firstOffered = Array.IndexOf(_offered, true);
        for (var slot = 0; slot < firstOffered; slot++)
        {
            _startUtcTicks[slot] = _startUtcTicks[firstOffered] - (firstOffered - slot);
        }

        DayStartUtcTicks = LocalMidnightUtcTicks(day, zone);
    }

    /// <summary>The template laid out.</summary>
    public DayTemplate Template { get; }

    /// <summary>
    /// The hold expiries of every calendar laid out by this layout, one place per (calendar, seat,
    /// head slot) that ever held, keyed by <see cref="HoldKey"/>, the expiry as the place's one
    /// payload long; null until the first hold. A day's holds cost no object per calendar: the table
    /// goes when the day's calendars and this layout go.
    /// </summary>
    internal KeyTable? HoldExpiries => Volatile.Read(ref _holdExpiries);

    /// <summary>The hold-expiry table, made on first use (a losing racer's table is dropped).</summary>
    internal KeyTable EnsureHoldExpiries()
    {
        var table = Volatile.Read(ref _holdExpiries);
        if (table is null)
        {
            // Made once: the CAS from null succeeds for one caller; readers see null (no holds yet) or the winner's table.
            Interlocked.CompareExchange(ref _holdExpiries, new KeyTable(_holdBits, payloadLength: 1), null);
            table = Volatile.Read(ref _holdExpiries)!;
        }

        return table;
    }

    /// <summary>
    /// A place for one new calendar of this layout in the layout's current <see cref="DaySlab"/>: the slabs of a day
    /// hold its calendars' slot state without an array per calendar, and go with the layout when the day is past.
    /// </summary>
    /// <param name="place">The place taken in the returned slab.</param>
    /// <returns>The slab.</returns>
    internal DaySlab TakeCalendarPlace(out int place)
    {
        while (true)
        {
            var slab = Volatile.Read(ref _slab);
            if (slab is not null)
            {
                place = slab.TryTake();
                if (place >= 0)
                {
                    return slab;
                }
            }

            // Full (or none yet): the CAS installs the next slab (NextSlabPlaces) once; a loser retries on the winner's.
            var made = slab is null ? 0 : slab.PlacesBefore + slab.Places;
            var next = new DaySlab(this, NextSlabPlaces(slab?.Places ?? 0, made, slab?.Stride ?? 1), made);
            Interlocked.CompareExchange(ref _slab, next, slab);
        }
    }

    /// <summary>
    /// Calendars this layout expects (the providers registered when it was made; 0: not known). Up to that many, slabs
    /// double up to <see cref="DaySlab.MaxFittedPlaces"/> instead of <see cref="DaySlab.MaxPlaces"/>, and the last one is cut
    /// to what is left, so the slabs of a day every provider publishes hold exactly its calendars (no spare places) and the
    /// largest ones take 2 MiB pages. Past the expected count the slabs grow as without it. A layout fewer providers use
    /// than expected wastes at most its last slab, which is at most the places taken before it (doubling), as before.
    /// </summary>
    internal int ExpectedCalendars { get; init; }

    /// <summary>The places of the slab after one of <paramref name="last"/> places (0: the first), <paramref name="made"/> places made so far.</summary>
    /// <param name="last">The last slab's places, 0 when there is none.</param>
    /// <param name="made">Places of all the slabs made so far.</param>
    /// <param name="stride">Longs per place (<see cref="DaySlab.Stride"/>): a fitted slab stays within <see cref="DaySlab.MaxFittedLongs"/>.</param>
    /// <returns>The next slab's places.</returns>
    internal int NextSlabPlaces(int last, int made, int stride)
    {
        if (last == 0)
        {
            return DaySlab.FirstPlaces;
        }

        var left = ExpectedCalendars - made;
        var most = Math.Clamp(DaySlab.MaxFittedLongs / Math.Max(1, stride), DaySlab.MaxPlaces, DaySlab.MaxFittedPlaces);
        return left > 0
            ? Math.Min(left, Math.Min(most, last * 2))
            : Math.Min(DaySlab.MaxPlaces, last * 2);
    }

    /// <summary>A hold-expiry key: a calendar's id and a cell's index, never 0.</summary>
    /// <param name="calendarId">The calendar's <see cref="Calendar.Id"/>.</param>
    /// <param name="cellIndex">The head cell's index (seat × slots + slot, below 2^16).</param>
    /// <returns>The key.</returns>
    internal static ulong HoldKey(uint calendarId, int cellIndex) => (((ulong)calendarId << 16) | (uint)cellIndex) + 1;

    /// <summary>The local day.</summary>
    public DateOnly Day { get; }

    /// <summary>When the local day begins, in UTC ticks.</summary>
    public long DayStartUtcTicks { get; }

    /// <summary>How many slots the day has (the template's <see cref="DayTemplate.SlotCount"/>).</summary>
    public int SlotCount => _startUtcTicks.Length;

    /// <summary>Whether a slot is offered: false when its local start does not exist on this day (a daylight-saving gap).</summary>
    /// <param name="slot">The slot, 0 to <see cref="SlotCount"/> − 1.</param>
    /// <returns>True when offered.</returns>
    public bool IsOffered(int slot) => _offered[slot];

    /// <summary>When a slot starts, in UTC ticks.</summary>
    /// <param name="slot">The slot, 0 to <see cref="SlotCount"/> − 1.</param>
    /// <returns>The start.</returns>
    public long StartUtcTicks(int slot) => _startUtcTicks[slot];

    /// <summary>When a slot starts, as a UTC instant.</summary>
    /// <param name="slot">The slot, 0 to <see cref="SlotCount"/> − 1.</param>
    /// <returns>The start.</returns>
    public DateTimeOffset StartOf(int slot) => new(_startUtcTicks[slot], TimeSpan.Zero);

    /// <summary>The first slot whose start is strictly after <paramref name="nowUtcTicks"/>, or <see cref="SlotCount"/>.</summary>
    /// <param name="nowUtcTicks">An instant, in UTC ticks.</param>
    /// <returns>The slot.</returns>
    public int FirstSlotAfter(long nowUtcTicks)
    {
        var starts = _startUtcTicks;
        if (starts.Length == 0 || starts[0] > nowUtcTicks)
        {
            return 0;
        }

        var index = Array.BinarySearch(starts, nowUtcTicks);
        index = index >= 0 ? index + 1 : ~index;
        while (index < starts.Length && starts[index] <= nowUtcTicks)
        {
            index++;
        }

        return index;
    }

    /// <summary>When a local day begins (its first valid local time, when midnight falls in a daylight-saving gap), in UTC ticks.</summary>
    /// <param name="day">The local day.</param>
    /// <param name="zone">The zone.</param>
    /// <returns>The instant.</returns>
    public static long LocalMidnightUtcTicks(DateOnly day, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(local))
        {
            local = local.AddMinutes(1);
        }

        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return local.Ticks - offset.Ticks;
    }
}
