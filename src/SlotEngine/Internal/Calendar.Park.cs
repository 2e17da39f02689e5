namespace SlotEngine;

/// <summary>The calendar's side of the sweep's parking (<c>InMemorySlotEngine.SweepList.cs</c>).</summary>
internal sealed partial class Calendar
{
    /// <summary>
    /// A lower bound of every live hold's expiry, in UTC ticks (long.MaxValue when no hold was live at the last scan): a
    /// cheap first test for the sweep's parking. It may be too high while a reclaim scan runs (the scan resets it first),
    /// so the sweep confirms it with <see cref="EarliestLiveHoldExpiry"/> before it parks anything.
    /// </summary>
    public long EarliestHoldExpiryBound => EarliestHoldExpiryTicks;

    /// <summary>
    /// The earliest expiry of the holds live on the calendar when each head is read (held heads, unapproved bookings
    /// included; long.MaxValue when none), read without changing anything: a sweep parks a calendar until then.
    /// </summary>
    /// <remarks>
    /// Every held head is read, so a hold published before the scan reaches its head is counted. A hold published after
    /// its head was read lists its calendar for the sweep itself (every claim with an expiry ends with <c>ListHolds</c>),
    /// and an expiry only moves later while its hold lives (a confirm that leaves a hold awaiting approval raises it to the
    /// deadline), so a value read here stays at or below the expiry of every hold it counted.
    /// </remarks>
    public long EarliestLiveHoldExpiry()
    {
        var earliest = long.MaxValue;
        for (var seat = 0; seat < Capacity; seat++)
        {
            for (var slot = 0; slot < SlotCount; slot++)
            {
                var cell = ReadCell(seat, slot);
                if (ClaimCell.Kind(cell) == ClaimCell.KindHeld && ClaimCell.IsHead(cell))
                {
                    earliest = Math.Min(earliest, HeadExpiryAt(seat, slot, cell));
                }
            }
        }

        return earliest;
    }
}
