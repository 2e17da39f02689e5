namespace SlotEngine;

/// <summary>
/// A registered provider and its open days: a ring of calendars indexed by day number modulo the
/// ring size. Lookups read the ring lock-free; publishing and withdrawing (rare, administrative)
/// take the entry's lock so that two publishers of one day agree.
/// </summary>
internal sealed class ProviderEntry
{
    private readonly Calendar?[] _days;
    private readonly Lock _publishLock = new();

    // The last token of each withdrawn day that is not yet past, by day number (under the lock). A
    // day published again continues its tokens from here, so that a reservation made before the
    // withdrawal can never match a claim made after it (fencing), nor keep a quota entry alive.
    private Dictionary<int, long>? _retiredLastTokens;

    public ProviderEntry(ProviderId id, ClinicEntry clinic, BranchGroup group, int openDays)
    {
        Id = id;
        Clinic = clinic;
        Group = group;
        _days = new Calendar?[openDays];
    }

    public ProviderId Id { get; }

    public ClinicEntry Clinic { get; }

    /// <summary>The providers of the same branch in the same city.</summary>
    public BranchGroup Group { get; }

    /// <summary>This provider's place in its group, fixed at registration.</summary>
    public int GroupMember { get; set; }

    public Calendar? GetCalendar(DateOnly day)
    {
        var calendar = Volatile.Read(ref _days[Index(day)]);
        return calendar is not null && calendar.Day == day ? calendar : null;
    }

    /// <summary>Opens a day, or returns the one already open. <paramref name="today"/> lets a past day's place be reused.</summary>
    public Calendar Publish(DayLayout layout, DateOnly today, out bool created)
    {
        lock (_publishLock)
        {
            ref var place = ref _days[Index(layout.Day)];
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
                    throw new SlotEngineArgumentException(SlotEngineError.TooManyOpenDays, $"{Id} cannot open {layout.Day:yyyy-MM-dd}: {existing.Day:yyyy-MM-dd} is still open in the same place of its {_days.Length}-day ring (SlotEngineOptions.MaxOpenDaysPerProvider).", "day");
                }
            }

            ForgetRetiredTokensBefore(today);
            var calendar = new Calendar(this, layout, _retiredLastTokens?.GetValueOrDefault(layout.Day.DayNumber) ?? 0);
            Volatile.Write(ref place, calendar);

            // Published first, then the group's day index is looked for: an index made meanwhile
            // either finds this calendar in the ring or is found here (full fence between the two).
            Interlocked.MemoryBarrier();
            if (Group.TryGetIndex(layout.Day) is { } index)
            {
                calendar.AttachIndex(index);
            }

            created = true;
            return calendar;
        }
    }

    /// <summary>Removes a day from the ring (after it has been closed).</summary>
    public void Remove(Calendar calendar)
    {
        lock (_publishLock)
        {
            ref var place = ref _days[Index(calendar.Day)];
            if (ReferenceEquals(place, calendar))
            {
                Volatile.Write(ref place, null);
                calendar.DetachIndex();
                var day = calendar.Day.DayNumber;
                _retiredLastTokens ??= [];
                _retiredLastTokens[day] = Math.Max(_retiredLastTokens.GetValueOrDefault(day), calendar.LastToken);
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
        for (var i = 0; i < _days.Length; i++)
        {
            if (Volatile.Read(ref _days[i]) is { } calendar)
            {
                yield return calendar;
            }
        }
    }

    private int Index(DateOnly day) => day.DayNumber % _days.Length;
}
