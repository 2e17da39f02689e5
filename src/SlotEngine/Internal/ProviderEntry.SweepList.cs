namespace SlotEngine;

/// <summary>
/// The provider's part in its engine's sweep list (see <c>InMemorySlotEngine.SweepList.cs</c> for the protocol): which of its
/// days may hold holds, and its link in the list (by id). Per provider, not per calendar: a calendar has no field for the sweep.
/// </summary>
internal sealed partial class ProviderEntry
{
    // Bit (day number mod 32) is 1 when the provider's calendar of a day with that remainder may hold a live hold (a ring
    // holds at most MaxOpenDaysPerProvider days, so one bit may stand for a few calendars: the sweep looks at each).
    // Set only by Interlocked.Or (MarkHoldDay), taken whole only by Interlocked.Exchange with 0 (TakeHoldDays): a bit set
    // by a claim is either in the word a sweep took, or still in the word for the next sweep; never lost.
    private int _holdDays;

    // 0: not listed. Otherwise listed, and the next listed provider's id + 1, or EndOfList (−1). An id rather than a
    // reference (providers are never removed from the directory, so the sweep finds the next by its id): four bytes, so the
    // entry stays 64 bytes with the hold-days word. Moved from 0 only by the CAS in TryMarkSweepListed (so one thread lists
    // the provider), then written by that thread alone before the push that publishes it; back to 0 only by the sweep that
    // took the list (ClearSweepListed, a full fence before that sweep takes the day bits).
    private int _nextListed;

    /// <summary>The link of the last provider in a sweep list.</summary>
    private const int EndOfList = -1;

    /// <summary>The day's bit in the hold-days word.</summary>
    public static int HoldDayBit(DateOnly day) => 1 << (day.DayNumber & 31);

    /// <summary>
    /// Marks a day as maybe holding holds (a full fence when the bit was not set yet; when it was, a sweep has not taken it,
    /// and the reader of the link that follows still runs after the claim's own full fence on the live-hold count).
    /// </summary>
    public void MarkHoldDay(DateOnly day)
    {
        var bit = HoldDayBit(day);
        if ((Volatile.Read(ref _holdDays) & bit) == 0)
        {
            Interlocked.Or(ref _holdDays, bit);
        }
    }

    /// <summary>Takes every day bit at once (the sweep that took the provider, after <see cref="ClearSweepListed"/>); a full fence.</summary>
    public int TakeHoldDays() => Interlocked.Exchange(ref _holdDays, 0);

    /// <summary>Adds the open calendars whose day bits are in <paramref name="days"/> (a word from <see cref="TakeHoldDays"/>): one walk of the ring, no iterator.</summary>
    public void AddCalendarsOfDays(int days, List<Calendar> into)
    {
        var ring = Volatile.Read(ref _days);
        for (var i = 0; i < ring.Length; i++)
        {
            if (Volatile.Read(ref ring[i]) is { } calendar && (days & HoldDayBit(calendar.Day)) != 0)
            {
                into.Add(calendar);
            }
        }
    }

    /// <summary>Marks the provider listed; true for the one caller that moved it from unlisted (it then pushes it).</summary>
    public bool TryMarkSweepListed() =>
        Volatile.Read(ref _nextListed) == 0 && Interlocked.CompareExchange(ref _nextListed, EndOfList, 0) == 0;

    /// <summary>Sets the link before the push (only the thread whose <see cref="TryMarkSweepListed"/> succeeded): the top it read, as id + 1 (0: none).</summary>
    public void LinkListed(int nextIdPlusOne) => Volatile.Write(ref _nextListed, nextIdPlusOne == 0 ? EndOfList : nextIdPlusOne);

    /// <summary>The next listed provider's id + 1 (0 at the end); read by the sweep that took the list.</summary>
    public int NextListed => Volatile.Read(ref _nextListed) is var next && next > 0 ? next : 0;

    /// <summary>Unmarks the provider (the sweep that took the list, after reading its link); a full fence.</summary>
    public void ClearSweepListed() => Interlocked.Exchange(ref _nextListed, 0);
}
