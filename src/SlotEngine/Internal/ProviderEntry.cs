using System.Diagnostics;

namespace SlotEngine;

/// <summary>
/// A registered provider and its open days: a ring of calendars indexed by day number modulo the
/// ring size. Lookups read the ring lock-free; publishing and withdrawing (rare, administrative)
/// take the entry's lock so that two publishers of one day agree: the entry's own monitor (internal and
/// sealed, nobody else locks it), which costs no lock object per provider (150,000 of them).
/// </summary>
/// <remarks>
/// The ring starts at the smallest size of at least <see cref="InitialRing"/> places from which doubling reaches
/// <see cref="MaxOpenDays"/> exactly (16 for the default 64; the limit itself if it is smaller or odd), and doubles only when a day to open meets a day still open in its place: a provider with 15
/// open days keeps 16 places (152 bytes) instead of 64 (536 bytes). A larger ring is filled under the lock
/// and then published by one release write of <see cref="_days"/>; a reader uses the one array it read (either
/// ring answers as the provider was at some instant between the publish's start and end), and writers
/// (publish, remove) always work on the current array, under the lock.
/// </remarks>
internal sealed partial class ProviderEntry
{
    /// <summary>The ring's first size: a little over the two weeks of days a provider usually has open.</summary>
    private const int InitialRing = 16;
    private Calendar?[] _days;

    // The last token of each withdrawn day that is not yet past, by day number (under the lock). A
    // day published again continues its tokens from here, so that a reservation made before the
    // withdrawal can never match a claim made after it (fencing), nor keep a quota entry alive.
    private Dictionary<int, long>? _retiredLastTokens;

    public ProviderEntry(ProviderId id, ClinicEntry clinic, BranchGroup group, int openDays)
    {
        Id = id;
        Clinic = clinic;
        Group = group;
        _days = new Calendar?[FirstRingSize(openDays)];
    }

    public ProviderId Id { get; }

    /// <summary>The most days this provider may keep open (its group's, the directory's limit: no field per provider).</summary>
    private int MaxOpenDays => Group.MaxOpenDays;

    public ClinicEntry Clinic { get; }

    /// <summary>The providers of the same branch in the same city.</summary>
    public BranchGroup Group { get; }

    /// <summary>This provider's place in its group, fixed at registration.</summary>
    public int GroupMember { get; set; }

    public Calendar? GetCalendar(DateOnly day)
    {
        var days = Volatile.Read(ref _days);
        var calendar = Volatile.Read(ref days[Index(days, day)]);
        return calendar is not null && calendar.Day == day ? calendar : null;
    }

    /// <summary>Opens a day, or returns the one already open. <paramref name="today"/> lets a past day's place be reused.</summary>
    public Calendar Publish(DayLayout layout, DateOnly today, out bool created)
    {
        lock (this)
        {
            GrowFor(layout.Day, today);
            ref var place = ref _days[Index(_days, layout.Day)];
            var existing = place;
            if (existing is not null)
            {
                if (existing.Day == layout.Day)
                {
                    if (!existing.Layout.Template.Equals(layout.Template))
                    {
                        throw new SlotEngineArgumentException(SlotEngineError.TemplateConflict, $"{existing.Key} is already published with another template ({existing.Layout.Template}); withdraw it first.", "template");
                    }

                    created = false;
                    return existing;
                }

                if (existing.Day >= today)
                {
                    throw new SlotEngineArgumentException(SlotEngineError.TooManyOpenDays, $"{Id} cannot open {layout.Day:yyyy-MM-dd}: {existing.Day:yyyy-MM-dd} is still open in the same place of its {MaxOpenDays}-day ring (SlotEngineOptions.MaxOpenDaysPerProvider).", "day");
                }
            }

            ForgetRetiredTokensBefore(today);
            created = true;
            return PlaceNew(ref place, layout);
        }
    }

    /// <summary>
    /// Puts a new calendar of <paramref name="layout"/> (the same day) in <paramref name="old"/>'s place with one write: a
    /// read model's new generation of a day. A reader of the ring finds the old calendar or the new one, never none (a
    /// <see cref="Remove"/> then <see cref="Publish"/> left a moment in which a concurrent claim found the day not
    /// published). The old calendar's last token is retired first, as <see cref="Remove"/> does, so the new one continues
    /// its tokens. When <paramref name="old"/> is no longer in its place, this is <see cref="Publish"/>.
    /// </summary>
    public Calendar Replace(Calendar old, DayLayout layout, DateOnly today)
    {
        Debug.Assert(old.Day == layout.Day, "a replacement is of the same day");
        lock (this)
        {
            ref var place = ref _days[Index(_days, old.Day)];
            if (!ReferenceEquals(place, old))
            {
                return Publish(layout, today, out _);
            }

            old.DetachIndex();
            RetireTokens(old);
            return PlaceNew(ref place, layout);
        }
    }

    /// <summary>
    /// Writes a new calendar of <paramref name="layout"/> into <paramref name="place"/> (under the lock), continuing the
    /// day's retired tokens, and attaches it to its group's day index if there is one.
    /// </summary>
    private Calendar PlaceNew(ref Calendar? place, DayLayout layout)
    {
        var calendar = new Calendar(this, layout, _retiredLastTokens?.GetValueOrDefault(layout.Day.DayNumber) ?? 0);
        Volatile.Write(ref place, calendar);

        // Published first, then the group's day index is looked for: an index made meanwhile
        // either finds this calendar in the ring or is found here (full fence between the two).
        Interlocked.MemoryBarrier();
        if (Group.TryGetIndex(layout.Day) is { } index)
        {
            calendar.AttachIndex(index);
        }

        return calendar;
    }

    /// <summary>Keeps a calendar leaving the ring's last token for its day (under the lock): a day published again continues from it.</summary>
    private void RetireTokens(Calendar calendar)
    {
        var day = calendar.Day.DayNumber;
        _retiredLastTokens ??= [];
        _retiredLastTokens[day] = Math.Max(_retiredLastTokens.GetValueOrDefault(day), calendar.LastToken);
    }

    /// <summary>Removes a day from the ring (after it has been closed).</summary>
    public void Remove(Calendar calendar)
    {
        lock (this)
        {
            ref var place = ref _days[Index(_days, calendar.Day)];
            if (ReferenceEquals(place, calendar))
            {
                Volatile.Write(ref place, null);
                calendar.DetachIndex();
                RetireTokens(calendar);
            }
        }
    }

    private void ForgetRetiredTokensBefore(DateOnly today)
    {
        if (_retiredLastTokens is null || _retiredLastTokens.Count == 0)
        {
            return;
        }

        foreach (var day in _retiredLastTokens.Keys.Where(d => d < today.DayNumber).ToArray())
        {
            _retiredLastTokens.Remove(day);
        }
    }

    public IEnumerable<Calendar> OpenCalendars()
    {
        var days = Volatile.Read(ref _days);
        for (var i = 0; i < days.Length; i++)
        {
            if (Volatile.Read(ref days[i]) is { } calendar)
            {
                yield return calendar;
            }
        }
    }

    // A ring of a power-of-two size (every ring under the default 64 open days: 16, 32, 64) masks instead of dividing:
    // every lookup of a calendar by key (each claim, release and confirm, and each quota entry judged) pays this.
    private static int Index(Calendar?[] days, DateOnly day) =>
        (days.Length & (days.Length - 1)) == 0 ? day.DayNumber & (days.Length - 1) : day.DayNumber % days.Length;

    /// <summary>The first ring size: at least <see cref="InitialRing"/>, and <paramref name="maxOpenDays"/> divided by a power of two (or itself).</summary>
    private static int FirstRingSize(int maxOpenDays)
    {
        var size = maxOpenDays;
        while (size % 2 == 0 && size / 2 >= InitialRing)
        {
            size /= 2;
        }

        return size;
    }

    /// <summary>
    /// Under the lock: doubles the ring (up to the limit) while <paramref name="day"/>'s place holds another day that is
    /// still open, so that it can open; at the limit the caller meets that day and refuses, as a full ring always did.
    /// Past days are carried over too (they are kept for reads until their place is reused).
    /// </summary>
    private void GrowFor(DateOnly day, DateOnly today)
    {
        while (_days.Length < MaxOpenDays && _days[Index(_days, day)] is { } other && other.Day != day && other.Day >= today)
        {
            // Exactly twice the size (see FirstRingSize): days in different places of the old ring (d mod n differ)
            // are in different places of the new one (d mod 2n differ too), so every calendar is carried over.
            var grown = new Calendar?[_days.Length * 2];
            foreach (var calendar in _days)
            {
                if (calendar is not null)
                {
                    Debug.Assert(grown[Index(grown, calendar.Day)] is null, "doubling the ring never puts two days in one place");
                    grown[Index(grown, calendar.Day)] = calendar;
                }
            }

            // Release write: a reader that reads the new ring sees every calendar copied into it.
            Volatile.Write(ref _days, grown);
        }
    }
}
