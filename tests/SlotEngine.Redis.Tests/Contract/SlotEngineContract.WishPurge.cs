namespace SlotEngine.Redis.Tests.Contract;

/// <summary>
/// Purging the waitlist (<see cref="ISlotEngine.PurgeWishesAsync"/>, issue 12's leftovers): wishes whose date range has
/// passed go whatever their state; cancelled wishes and offers over (accepted or lapsed) go once
/// <see cref="WaitlistPolicy.FinishedRetention"/> has passed. A purged wish reads as unknown.
/// </summary>
public abstract partial class SlotEngineContract
{
    private static Action<SlotEngineOptions> Retention(TimeSpan retention, TimeSpan? window = null) =>
        o => o.Waitlist = new WaitlistPolicy(window ?? TimeSpan.FromMinutes(15), 2) { FinishedRetention = retention };

    [Fact]
    public async Task A_wish_whose_date_range_has_passed_is_purged_and_a_current_one_stays()
    {
        var (engine, _, _) = await FullDayAsync();
        var yesterday = ContractWorld.Today.AddDays(-1);
        var over = await engine.RegisterWishAsync(WishFor(1, from: yesterday.AddDays(-3), to: yesterday));
        var current = await engine.RegisterWishAsync(WishFor(2));

        Assert.Equal(1, await engine.PurgeWishesAsync());

        Assert.Null(await engine.GetWishAsync(over));
        Assert.Empty(await engine.GetWishesAsync(ContractWorld.Patient(1)));
        var view = (await engine.GetWishAsync(current))!;
        Assert.Equal((WishState.Waiting, 0), (view.State, view.Position));
        Assert.False(await engine.CancelWishAsync(over));
        Assert.Equal(0, await engine.PurgeWishesAsync());
    }

    [Fact]
    public async Task A_cancelled_wish_is_kept_for_the_retention_then_purged()
    {
        var (kept, _, _) = await FullDayAsync(configure: Retention(TimeSpan.FromDays(1)));
        var wish = await kept.RegisterWishAsync(WishFor(1));
        Assert.True(await kept.CancelWishAsync(wish));
        Assert.Equal(0, await kept.PurgeWishesAsync());
        Assert.Equal(WishState.Cancelled, (await kept.GetWishAsync(wish))!.State);

        var (purging, _, _) = await FullDayAsync(configure: Retention(TimeSpan.Zero));
        var gone = await purging.RegisterWishAsync(WishFor(1));
        var waiting = await purging.RegisterWishAsync(WishFor(2));
        Assert.True(await purging.CancelWishAsync(gone));
        Assert.Equal(1, await purging.PurgeWishesAsync());
        Assert.Null(await purging.GetWishAsync(gone));
        Assert.Equal((WishState.Waiting, 0), ((await purging.GetWishAsync(waiting))!.State, (await purging.GetWishAsync(waiting))!.Position));
    }

    [Fact]
    public async Task An_accepted_offer_is_purged_after_its_expiry_and_a_live_offer_is_kept()
    {
        var (engine, bookings, _) = await FullDayAsync(configure: Retention(TimeSpan.Zero, TimeSpan.FromMinutes(15)));
        var live = await engine.RegisterWishAsync(WishFor(1));
        await SucceedAsync(engine.CancelAsync(bookings[0], CancelActor.Patient));
        Assert.Equal(WishState.Offered, (await engine.GetWishAsync(live))!.State);
        Assert.Equal(0, await engine.PurgeWishesAsync());

        // The offer's window must outlast the confirm that accepts it (a cancel's reply, a read, a confirm: 50 ms could end
        // before them on a loaded machine, and the confirm met an expired hold); the purge is then polled for.
        var (quick, quickBookings, _) = await FullDayAsync(configure: Retention(TimeSpan.Zero, TimeSpan.FromSeconds(1)));
        var accepted = await quick.RegisterWishAsync(WishFor(2));
        await SucceedAsync(quick.CancelAsync(quickBookings[1], CancelActor.Patient));
        var offer = (await quick.GetWishAsync(accepted))!.Offer!.Value;
        await SucceedAsync(quick.ConfirmAsync(offer));
        await Eventually.TrueAsync(async () => await quick.PurgeWishesAsync() == 1, "the accepted offer's wish is purged once its offer window is over");
        Assert.Null(await quick.GetWishAsync(accepted));
        Assert.Equal(SlotStatus.Booked, (await quick.GetCalendarAsync(Calendar))[1].Status);
    }

    [Fact]
    public async Task The_sweep_purges_and_counts_the_wishes_it_purged()
    {
        var (engine, _, _) = await FullDayAsync();
        var yesterday = ContractWorld.Today.AddDays(-1);
        await engine.RegisterWishAsync(WishFor(1, from: yesterday, to: yesterday));
        await engine.RegisterWishAsync(WishFor(2, from: yesterday, to: yesterday));

        Assert.Equal(2, (await engine.SweepAsync()).WishesPurged);
        Assert.Empty(await engine.GetWishesAsync(ContractWorld.Patient(2)));
    }
}
