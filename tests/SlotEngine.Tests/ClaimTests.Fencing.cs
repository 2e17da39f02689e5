using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

public partial class ClaimTests
{
    [Fact]
    public void Tokens_strictly_increase_per_calendar()
    {
        var key = Tomorrow(TestWorld.P1);
        var last = 0L;
        for (var i = 0; i < 20; i++)
        {
            var r = _world.MustHold(key, i, 1, i);
            Assert.True(r.Token > last);
            last = r.Token;
            if (i % 3 == 0)
            {
                Assert.True(_world.Engine.TryRelease(r).Succeeded);
            }
        }
    }

    [Fact]
    public void A_hold_that_expired_and_was_retaken_cannot_confirm_or_release()
    {
        var key = Tomorrow(TestWorld.P1);
        var first = _world.MustHold(key, 7, 2, 0, minutes: 5);
        _world.Time.Advance(TimeSpan.FromMinutes(6));
        var second = _world.MustHold(key, 7, 2, 1, minutes: 5);
        Assert.True(second.Token > first.Token);
        var before = _world.Fingerprint(key);

        Assert.Equal(ClaimStatus.HoldExpired, _world.Engine.TryConfirm(first).Status);
        Assert.Equal(ClaimStatus.Stale, _world.Engine.TryRelease(first).Status);
        Assert.Equal(ClaimStatus.Stale, _world.Engine.TryCancel(first, CancelActor.Administrator).Status);
        Assert.Equal(before, _world.Fingerprint(key));
        Assert.True(_world.Engine.TryConfirm(second).Succeeded);
    }

    [Fact]
    public void A_forged_token_owns_nothing()
    {
        var key = Tomorrow(TestWorld.P1);
        var real = _world.MustBook(key, 7, 2, 0);
        var before = _world.Fingerprint(key);
        Assert.Equal(ClaimStatus.Stale, _world.Engine.TryRelease(real with { Token = real.Token + 1 }).Status);
        Assert.Equal(ClaimStatus.Stale, _world.Engine.TryRelease(real with { Slots = new SlotRange(8, 1) }).Status);
        Assert.Equal(before, _world.Fingerprint(key));
    }

    public static TheoryData<long> HighBitForgeries => new()
    {
        1L << 29,
        1L << 30,
        1L << 31,
        1L << 32,
        1L << 40,
        1L << 62,
        long.MinValue,
    };

    [Theory]
    [MemberData(nameof(HighBitForgeries))]
    public void A_token_with_high_bits_added_owns_nothing(long highBits)
    {
        // A cell keeps 29 bits of the token; the engine once compared only those, so the real token
        // with any bit above them set released, cancelled or confirmed the real claim.
        var key = Tomorrow(TestWorld.P1);
        var booked = _world.MustBook(key, 10, 1, 0);
        var held = _world.MustHold(key, 12, 1, 1);
        var before = _world.Fingerprint(key);
        foreach (var forged in new[] { booked.Token + highBits, booked.Token | highBits, booked.Token ^ highBits })
        {
            Assert.Equal(ClaimStatus.Stale, _world.Engine.TryRelease(booked with { Token = forged }).Status);
            Assert.Equal(ClaimStatus.Stale, _world.Engine.TryCancel(booked with { Token = forged }, CancelActor.Administrator).Status);
        }

        foreach (var forged in new[] { held.Token + highBits, held.Token | highBits, held.Token ^ highBits })
        {
            Assert.Equal(ClaimStatus.Stale, _world.Engine.TryConfirm(held with { Token = forged }).Status);
            Assert.Equal(ClaimStatus.Stale, _world.Engine.TryRelease(held with { Token = forged }).Status);
        }

        Assert.Equal(before, _world.Fingerprint(key));
        Assert.Equal(SlotStatus.Booked, _world.Engine.GetCalendar(key)[10].Status);
        Assert.True(_world.Engine.TryConfirm(held).Succeeded);
    }

    [Theory]
    [InlineData(-1L)]
    [InlineData(long.MinValue)]
    [InlineData(long.MaxValue)]
    [InlineData((1L << 29) - 1)]
    public void A_token_never_issued_owns_nothing(long token)
    {
        var key = Tomorrow(TestWorld.P1);
        var booked = _world.MustBook(key, 10, 1, 0);
        var before = _world.Fingerprint(key);
        Assert.Equal(ClaimStatus.Stale, _world.Engine.TryRelease(booked with { Token = token }).Status);
        Assert.Equal(ClaimStatus.Stale, _world.Engine.TryConfirm(booked with { Token = token }).Status);
        Assert.Equal(ClaimStatus.Stale, _world.Engine.TryCancel(booked with { Token = token }, CancelActor.Administrator).Status);
        Assert.Equal(before, _world.Fingerprint(key));
    }

    [Fact]
    public void A_hold_of_a_day_withdrawn_after_it_passed_and_published_again_is_HoldExpired()
    {
        // Once a day is past, its withdrawn calendar's last token is forgotten, so the day published
        // again issues tokens from 1: the old hold's token is above its last one. Found by the model test.
        var key = Tomorrow(TestWorld.P1);
        var hold = _world.MustHold(key, 3, 1, 0, minutes: 1);
        _world.Time.Advance(TimeSpan.FromDays(2));
        _world.Engine.Withdraw(key);
        _world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        Assert.Equal(ClaimStatus.HoldExpired, _world.Engine.TryConfirm(hold).Status);
        Assert.Equal(ClaimStatus.Stale, _world.Engine.TryRelease(hold).Status);
    }

    [Fact]
    public void A_reservation_moved_to_another_seat_day_or_calendar_owns_nothing()
    {
        var capacity2 = TestWorld.Template(10, 2, "08:00-12:00");
        var key = Tomorrow(TestWorld.P1, capacity2);
        var other = Tomorrow(TestWorld.P2, capacity2);
        var later = _world.Publish(TestWorld.P1, TestWorld.Tomorrow.AddDays(1), capacity2);
        var victim = _world.MustBook(key, 3, 1, 0);
        var mine = _world.MustBook(key, 3, 1, 1);
        Assert.NotEqual(victim.Seat, mine.Seat);

        // On the other calendars, a claim of the same slot with another token (a forged calendar or
        // day must not find a claim by position alone).
        _world.MustBook(other, 3, 1, 2);
        _world.MustBook(other, 3, 1, 3);
        _world.MustBook(later, 3, 1, 4);
        _world.MustBook(later, 3, 1, 5);
        var before = _world.Fingerprint(key, other, later);
        var victimSeatOnly = mine with { Seat = victim.Seat };
        Assert.Equal(ClaimStatus.Stale, _world.Engine.TryRelease(victimSeatOnly).Status);
        Assert.Equal(ClaimStatus.Stale, _world.Engine.TryRelease(mine with { Calendar = other, Token = mine.Token + 1000 }).Status);
        Assert.Equal(ClaimStatus.Stale, _world.Engine.TryRelease(mine with { Calendar = later, Token = mine.Token + 1000 }).Status);
        Assert.Equal(ClaimStatus.Stale, _world.Engine.TryCancel(mine with { Calendar = new CalendarKey(TestWorld.P1, TestWorld.Tomorrow.AddDays(2)) }, CancelActor.Administrator).Status);
        Assert.Equal(before, _world.Fingerprint(key, other, later));
        Assert.True(_world.Engine.TryRelease(mine).Succeeded);
        Assert.Equal(SlotStatus.Booked, _world.Engine.GetCalendar(key)[3, victim.Seat].Status);
    }

    [Fact]
    public void A_released_hold_is_stale_before_it_would_have_expired()
    {
        var key = Tomorrow(TestWorld.P1);
        var hold = _world.MustHold(key, 7, 1, 0, minutes: 10);
        Assert.True(_world.Engine.TryRelease(hold).Succeeded);
        Assert.Equal(ClaimStatus.Stale, _world.Engine.TryConfirm(hold).Status);
        _world.MustBook(key, 7, 1, 1);
        Assert.Equal(ClaimStatus.Stale, _world.Engine.TryConfirm(hold).Status);
    }

    [Fact]
    public void A_reservation_from_before_a_withdrawal_cannot_touch_the_republished_day()
    {
        var key = Tomorrow(TestWorld.P1);
        var old = _world.MustBook(key, 7, 1, 0);
        Assert.Single(_world.Engine.Withdraw(key).Displaced);
        _world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        var fresh = _world.MustBook(key, 7, 1, 1);
        Assert.True(fresh.Token > old.Token, $"token {fresh.Token} after a republish must exceed {old.Token}");
        Assert.Equal(ClaimStatus.Stale, _world.Engine.TryRelease(old).Status);
        Assert.Equal(ClaimStatus.Stale, _world.Engine.TryCancel(old, CancelActor.Administrator).Status);
        Assert.Equal(new SeatView(SlotStatus.Booked, _world.Patient(1), fresh.Token, null), _world.Engine.GetCalendar(key)[7]);
    }

    [Fact]
    public void A_claim_from_before_a_withdrawal_no_longer_counts_for_the_quota()
    {
        var key = Tomorrow(TestWorld.P1);
        _world.MustBook(key, 7, 1, 0);
        _world.Engine.Withdraw(key);
        _world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        _world.MustBook(key, 7, 1, 1);
        Assert.True(_world.Book(key, 20, 1, 0).Succeeded, "patient 0's claim was withdrawn: it must not count against them");
    }

    [Fact]
    public void A_reservation_from_before_a_withdrawal_is_stale_even_when_the_new_template_is_shorter()
    {
        var key = Tomorrow(TestWorld.P2, TestWorld.Wide);
        var old = _world.MustBook(key, 100, 2, 0);
        _world.Engine.Withdraw(key);
        _world.Publish(TestWorld.P2, TestWorld.Tomorrow); // 48 slots now: slot 100 no longer exists
        Assert.Equal(ClaimStatus.Stale, _world.Engine.TryRelease(old).Status);
        Assert.Equal(ClaimStatus.Stale, _world.Engine.TryConfirm(old).Status);
        Assert.Equal(ClaimStatus.Stale, _world.Engine.TryCancel(old, CancelActor.Patient).Status);
    }
}
