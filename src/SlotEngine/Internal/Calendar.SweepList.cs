namespace SlotEngine;

/// <summary>The calendar's link in its engine's sweep list (see <c>InMemorySlotEngine.SweepList.cs</c> for the protocol).</summary>
internal sealed partial class Calendar
{
    /// <summary>The link of the last calendar in a sweep list (a listed calendar's link is never null).</summary>
    private static readonly object EndOfList = new();

    // Null: not listed. Otherwise the next listed calendar, or EndOfList. Moved from null only by the CAS in
    // TryMarkSweepListed (so one thread lists the calendar), then written by that thread alone before the push that
    // publishes it; back to null only by the sweep that took the list (ClearSweepListed, a full fence before that sweep
    // reads the live-hold count again). One word, not a flag and a link: eight bytes a calendar.
    private object? _nextListed;

    /// <summary>Marks the calendar listed; true for the one caller that moved it from unlisted (it then pushes it).</summary>
    public bool TryMarkSweepListed() =>
        Volatile.Read(ref _nextListed) is null && Interlocked.CompareExchange(ref _nextListed, EndOfList, null) is null;

    /// <summary>Sets the link before the push (only the thread whose <see cref="TryMarkSweepListed"/> succeeded).</summary>
    public void LinkListed(Calendar? next) => Volatile.Write(ref _nextListed, (object?)next ?? EndOfList);

    /// <summary>The next listed calendar (null at the end); read by the sweep that took the list.</summary>
    public Calendar? NextListed => Volatile.Read(ref _nextListed) as Calendar;

    /// <summary>Unmarks the calendar (the sweep that took the list, after reading its link); a full fence.</summary>
    public void ClearSweepListed() => Interlocked.Exchange(ref _nextListed, null);
}
