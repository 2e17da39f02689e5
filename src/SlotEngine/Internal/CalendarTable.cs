using System.Collections.Concurrent;
using System.Diagnostics;

namespace SlotEngine;

/// <summary>
/// A flat (provider, day) → calendar table: per day, one array of calendar references indexed by the provider's dense
/// id, so that a claim, release or confirm finds its calendar with two dependent loads (the day's array, then the
/// calendar) instead of four (the directory's provider array, the provider's entry, its ring of days, then the calendar).
/// It mirrors the providers' rings (<see cref="ProviderEntry"/>), which stay the authority: every write of a ring's place
/// writes this table first, under the same provider lock.
/// </summary>
/// <remarks>
/// <para><b>What a place holds.</b> Day d's array, at provider p, holds the calendar of (p, d) that p's ring holds, or null
/// when the ring holds none (another day in its place, or nothing). A day's array is as wide as the directory's largest
/// provider id + 1 when it is made; a provider outside it (registered later) is found through its ring
/// (<see cref="TryGet(int, int, out Calendar?)"/> returns false), and writers skip it: which path answers for (p, d) is fixed by the array's width.</para>
/// <para><b>Writers</b> (<see cref="ProviderEntry"/>'s publish, replace and remove, under the provider's lock) call
/// <see cref="DayFor"/> for the day they place (it makes the array on a day's first calendar), then <see cref="Set"/> the
/// table's place, and only then write the ring's place. Every calendar of a day not yet dropped is placed through here,
/// so a day's array, once made, holds every calendar of the day the rings hold (made before the first of them).
/// Table first, ring second: a reader that sees a new value in the table finds the array there on every later lookup, and a
/// reader of the ring (a lookup that found no array) that sees the new value finds it in the table too.</para>
/// <para><b>Dropping a day</b> (<see cref="PurgeBefore"/>, once a day for the days before today) raises
/// <see cref="_firstKeptDay"/> with a full fence before the arrays go. A reader checks the mark after it read a place and
/// answers from the ring when its day is below it, so a dropped array (which writers stop updating) never answers; an
/// array made again by a late writer for a dropped day is refused the same way and dropped by the next purge. The rings
/// keep past days for reads as before (until their place is reused). Such a reader reads the ring under the provider's
/// lock (<see cref="ProviderEntry.GetCalendar"/>): a writer caught between its table write and its ring write when the
/// mark rose has finished both, so a reader that switched from the table to the ring never sees an older value than one
/// it (or anyone) read from the table before. Only lookups of passed days pay the lock.</para>
/// <para><b>Which readers may read the ring without the lock.</b> One that found no array for a day not dropped: the
/// array is made before the day's first calendar and leaves only by a drop, so every write it could miss was not yet
/// in the table either (table first), and every later reader finds the array; and one for a provider outside the
/// array's width, which the table never answers for.</para>
/// </remarks>
internal sealed class CalendarTable
{
    /// <summary>Places of <see cref="_recent"/>, by day number modulo this: more than the open days, so that they rarely share one.</summary>
    private const int RecentDays = 128;

    private readonly ConcurrentDictionary<int, DayCalendars> _days = new();

    /// <summary>
    /// The days' arrays by day number modulo <see cref="RecentDays"/>, read before <see cref="_days"/>: a lookup finds its day
    /// with one read and a compare. A place holds some day's <see cref="DayCalendars"/> or null; a day has at most one array
    /// in <see cref="_days"/> at a time, so a matching place holds it, or a dropped one that the mark refuses.
    /// </summary>
    private readonly DayCalendars?[] _recent = new DayCalendars?[RecentDays];

    /// <summary>The first day number whose arrays answer. Only rises, and rises before any array is dropped.</summary>
    private int _firstKeptDay = int.MinValue;

    /// <summary>The width of the next day's array: the largest registered provider id + 1.</summary>
    private int _width;

    /// <summary>Days with an array (for tests and memory accounting).</summary>
    public int Days => _days.Count;

    /// <summary>Notes a registered provider id (under the directory's write lock): days made from now on have a place for it.</summary>
    public void NoteProvider(int id)
    {
        if (id >= Volatile.Read(ref _width))
        {
            Volatile.Write(ref _width, id + 1);
        }
    }

    /// <summary>
    /// The calendar of (<paramref name="provider"/>, <paramref name="dayNumber"/>) when the table answers for it (true; null
    /// when that day is not open for the provider), or false: ask the provider's ring.
    /// </summary>
    public bool TryGet(int provider, int dayNumber, out Calendar? calendar) => TryGet(provider, dayNumber, out calendar, out _);

    /// <inheritdoc cref="TryGet(int, int, out Calendar?)"/>
    /// <param name="provider">The provider's id.</param>
    /// <param name="dayNumber">The day.</param>
    /// <param name="calendar">The calendar, or null.</param>
    /// <param name="dropped">When false is returned: whether the day's array was dropped (the ring is then read under the provider's lock, see the class remarks).</param>
    public bool TryGet(int provider, int dayNumber, out Calendar? calendar, out bool dropped)
    {
        var day = Find(dayNumber);
        calendar = null;
        if (day is not null && (uint)provider < (uint)day.Calendars.Length)
        {
            calendar = Volatile.Read(ref day.Calendars[provider]);
        }

        // After the read (see the class remarks): a day dropped since is answered by the ring.
        dropped = dayNumber < Volatile.Read(ref _firstKeptDay);
        if (dropped || day is null || (uint)provider >= (uint)day.Calendars.Length)
        {
            calendar = null;
            return false;
        }

        Debug.Assert(calendar is null || calendar.Day.DayNumber == dayNumber, "a day's array holds only that day's calendars");
        return true;
    }

    /// <summary>The day's array for a writer (under the provider's lock), made on the day's first calendar; null for a dropped day.</summary>
    public DayCalendars? DayFor(int dayNumber, bool create)
    {
        if (dayNumber < Volatile.Read(ref _firstKeptDay))
        {
            return null;
        }

        var day = Find(dayNumber);
        if (day is null && create)
        {
            day = _days.GetOrAdd(dayNumber, static (number, width) => new DayCalendars(number, width), Volatile.Read(ref _width));
            Volatile.Write(ref _recent[dayNumber & (RecentDays - 1)], day);
        }

        return day;
    }

    /// <summary>Writes a provider's place of a day's array (under the provider's lock, before its ring's place).</summary>
    public static void Set(DayCalendars? day, int provider, Calendar? calendar)
    {
        if (day is not null && (uint)provider < (uint)day.Calendars.Length)
        {
            // Release write: a reader that reads the calendar reads it whole (it was built before its publish).
            Volatile.Write(ref day.Calendars[provider], calendar);
        }
    }

    /// <summary>Drops the arrays of days before <paramref name="firstKeptDay"/>; returns how many went.</summary>
    public int PurgeBefore(DateOnly firstKeptDay)
    {
        // The mark first, and only ever up (see the class remarks).
        int kept;
        while ((kept = Volatile.Read(ref _firstKeptDay)) < firstKeptDay.DayNumber
            && Interlocked.CompareExchange(ref _firstKeptDay, firstKeptDay.DayNumber, kept) != kept)
        {
        }

        var removed = 0;
        foreach (var pair in _days)
        {
            if (pair.Key < firstKeptDay.DayNumber && _days.TryRemove(pair))
            {
                removed++;
            }
        }

        for (var i = 0; i < _recent.Length; i++)
        {
            if (Volatile.Read(ref _recent[i]) is { } cached && cached.DayNumber < firstKeptDay.DayNumber)
            {
                Interlocked.CompareExchange(ref _recent[i], null, cached);
            }
        }

        return removed;
    }

    private DayCalendars? Find(int dayNumber)
    {
        ref var recent = ref _recent[dayNumber & (RecentDays - 1)];
        var day = Volatile.Read(ref recent);
        if (day is not null && day.DayNumber == dayNumber)
        {
            return day;
        }

        if (_days.TryGetValue(dayNumber, out day))
        {
            // A plain replace: racing writers of one place each write a day's one array (or a dropped one, refused by the mark).
            Volatile.Write(ref recent, day);
        }

        return day;
    }
}

/// <summary>One day's calendars by provider id (see <see cref="CalendarTable"/>).</summary>
internal sealed class DayCalendars(int dayNumber, int width)
{
    public int DayNumber { get; } = dayNumber;

    public Calendar?[] Calendars { get; } = new Calendar?[width];
}
