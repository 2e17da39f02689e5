using SlotEngine.LoadTest.Run;

namespace SlotEngine.LoadTest.Tests;

/// <summary>The run's sweeper: which lapsed offers make a sweep due, which a sweep freed, which seats were offered again.</summary>
public class SweeperTests
{
    private static readonly DateOnly Day = new(2025, 3, 4);

    private static Reservation Offer(int provider, int slot, long token, long expiresTicks) =>
        new(new CalendarKey(new ProviderId(provider), Day), SlotRange.Single(slot), 0, token, new PatientKey(7), new DateTimeOffset(expiresTicks, TimeSpan.Zero));

    [Fact]
    public void A_lapse_makes_one_sweep_due_once_its_window_has_ended()
    {
        var lapsed = new LapsedOffers();
        Assert.False(lapsed.TakeDue(1_000));

        lapsed.Add(Offer(1, 3, token: 5, expiresTicks: 2_000));
        Assert.False(lapsed.TakeDue(1_999));
        Assert.True(lapsed.TakeDue(2_000));
        Assert.False(lapsed.TakeDue(3_000)); // the same lapse does not make another sweep due

        lapsed.Add(Offer(2, 4, token: 9, expiresTicks: 2_500));
        Assert.True(lapsed.TakeDue(3_000));
    }

    [Fact]
    public void A_sweep_counts_the_lapses_it_freed_and_an_offer_of_their_seat_counts_once_as_a_re_offer()
    {
        var lapsed = new LapsedOffers();
        var first = Offer(1, 3, token: 5, expiresTicks: 2_000);
        var other = Offer(2, 4, token: 9, expiresTicks: 2_000);
        lapsed.Add(first);
        lapsed.Add(other);

        // The sweep reclaimed the first lapse and a walk-away hold on another seat, and a hold with another token on the
        // second lapse's seat (someone else's): one lapse swept.
        lapsed.Swept([first, Offer(3, 1, token: 2, expiresTicks: 1_000), other with { Token = 10 }]);
        lapsed.Swept([first]);
        Assert.Equal(1, lapsed.LapsedSwept);

        // The first seat offered to the next wish: a re-offer, counted once; an offer of a seat that never lapsed is not one.
        lapsed.Offered(first with { Token = 12, Patient = new PatientKey(8) });
        lapsed.Offered(first with { Token = 13, Patient = new PatientKey(9) });
        lapsed.Offered(Offer(5, 5, token: 1, expiresTicks: 3_000));
        Assert.Equal(1, lapsed.Reoffered);
    }
}
