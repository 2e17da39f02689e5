namespace SlotEngine.Redis.Tests.Contract;

/// <summary>
/// The waitlist on a long queue (issue 12's leftovers): a wish that matches a freed slot is found behind any number of
/// waiting wishes that do not (on Redis the lease walks the queue in batches of 256 with a cursor).
/// </summary>
public abstract partial class SlotEngineContract
{
    [Fact]
    public async Task A_matching_wish_behind_more_than_256_that_do_not_match_is_offered()
    {
        var (engine, bookings, offers) = await FullDayAsync();
        var later = ContractWorld.Day.AddDays(1);
        for (var p = 1; p <= 300; p++)
        {
            // Waiting for other days: none of them can take a slot of ContractWorld.Day.
            await engine.RegisterWishAsync(WishFor(p, from: later, to: later.AddDays(1)));
        }

        var matching = await engine.RegisterWishAsync(WishFor(400));

        await SucceedAsync(engine.CancelAsync(bookings[1], CancelActor.Patient));

        var view = (await engine.GetWishAsync(matching))!;
        Assert.Equal(WishState.Offered, view.State);
        Assert.Equal(ContractWorld.Patient(400), view.Offer!.Value.Patient);
        Assert.Equal(matching, Assert.Single(offers).Wish);
    }
}
