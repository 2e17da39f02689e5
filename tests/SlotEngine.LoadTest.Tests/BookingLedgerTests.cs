using SlotEngine.LoadTest.Run;

namespace SlotEngine.LoadTest.Tests;

public class BookingLedgerTests
{
    private static Reservation Booking(long token) =>
        new(new CalendarKey(new ProviderId(1), new DateOnly(2025, 3, 4)), SlotRange.Single((int)(token % 48)), 0, token, new PatientKey(7), null);

    [Fact]
    public void Entries_survive_growth_across_chunks_and_cancels_mark_the_right_one()
    {
        var ledger = new BookingLedger();
        for (var i = 1; i <= 5_000; i++)
        {
            Assert.Equal(i - 1, ledger.AddBooking(Booking(i)));
        }

        ledger.AddWalkAway(Booking(9_999) with { HoldExpiresAt = DateTimeOffset.UnixEpoch });
        ledger.MarkCancelled(3_000);
        var entries = ledger.Entries.ToList();
        Assert.Equal(5_001, ledger.Count);
        Assert.Equal(5_001, entries.Count);
        Assert.Equal(3_001, ledger.At(3_000).Token);
        Assert.Equal(LedgerState.Cancelled, entries[3_000].State);
        Assert.Equal(4_999, entries.Count(e => e.State == LedgerState.Booked));
        Assert.Equal(LedgerState.WalkedAway, entries[^1].State);
        Assert.Throws<ArgumentOutOfRangeException>(() => ledger.At(5_001));

        // Stored compactly, read back whole: every field of the reservation survives.
        Assert.Equal(Booking(3_001), ledger.At(3_000));
        Assert.Equal(Booking(9_999) with { HoldExpiresAt = DateTimeOffset.UnixEpoch }, entries[^1].Reservation);
        var wide = new Reservation(new CalendarKey(new ProviderId(ProviderId.MaxValue), new DateOnly(2031, 12, 31)), new SlotRange(200, 88), 15, long.MaxValue >> 3, new PatientKey(ulong.MaxValue), new DateTimeOffset(2031, 12, 30, 23, 59, 59, TimeSpan.Zero));
        Assert.Equal(wide, ledger.At(ledger.AddBooking(wide)));
    }

    [Fact]
    public void A_reserved_ledger_records_without_allocating_and_grows_past_its_reserve()
    {
        var ledger = new BookingLedger();
        ledger.Reserve(3_000);
        ledger.AddBooking(Booking(1)); // the first call's code compiled before the count
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 2; i <= 3_000; i++)
        {
            ledger.AddBooking(Booking(i));
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        for (var i = 3_001; i <= 4_000; i++)
        {
            ledger.AddBooking(Booking(i)); // past the reserve: a chunk of its own, as without one
        }

        Assert.Equal(4_000, ledger.Count);
        Assert.Equal(Enumerable.Range(1, 4_000).Select(i => (long)i), ledger.Entries.Select(e => e.Reservation.Token));
        Assert.Equal(Booking(3_500), ledger.At(3_499));
    }
}
