namespace SlotEngine;

/// <summary>
/// A template laid onto one local day in one time zone: each slot's start as a UTC instant, and
/// which slots are not offered because their local start does not exist (the spring-forward gap
/// of daylight saving). Ambiguous local times (the fall-back hour) take their first occurrence
/// (the daylight-saving offset). A gap slot's start is one tick after the slot before it, or, for
/// gap slots that open the day, just before the first slot that exists; so slot starts strictly
/// increase. Shared by every calendar with the same template and day; immutable.
/// </summary>
internal sealed class DayLayout
{
    private readonly long[] _startUtcTicks;
    private readonly bool[] _offered;

    public DayLayout(DayTemplate template, DateOnly day, TimeZoneInfo zone)
    {
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

    public DayTemplate Template { get; }

    public DateOnly Day { get; }

    /// <summary>When the local day begins, in UTC ticks.</summary>
    public long DayStartUtcTicks { get; }

    public int SlotCount => _startUtcTicks.Length;

    public bool IsOffered(int slot) => _offered[slot];

    public long StartUtcTicks(int slot) => _startUtcTicks[slot];

    public DateTimeOffset StartOf(int slot) => new(_startUtcTicks[slot], TimeSpan.Zero);

    /// <summary>The first slot whose start is strictly after <paramref name="nowUtcTicks"/>, or <see cref="SlotCount"/>.</summary>
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

    internal static long LocalMidnightUtcTicks(DateOnly day, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(local))
        {
            local = local.AddMinutes(1);
        }

        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return local.Ticks - offset.Ticks;
    }
}
