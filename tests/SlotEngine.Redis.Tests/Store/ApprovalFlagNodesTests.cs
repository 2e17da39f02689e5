using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;
using static SlotEngine.Redis.Tests.Store.FeedSettling;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>
/// The unapproved flag travels (issue 11): in the feed delta of a claim (<c>+…,u</c>) and of a confirm that leaves a hold
/// awaiting approval (<c>~seat,first,token,deadline</c>), and in the stored claim (<c>…|u</c>) a node loads. Another node's
/// read model knows which seats await approval from the flag, not from their expiry.
/// </summary>
public sealed class ApprovalFlagNodesTests(StandaloneServerFixture fixture) : IClassFixture<StandaloneServerFixture>
{
    private static CalendarKey Calendar => new(ContractWorld.Doctor, ContractWorld.Day);

    [Fact]
    public async Task Another_node_sees_bookings_await_approval_through_the_delta_and_then_approved()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o =>
        {
            o.Engine.Quotas = QuotaPolicy.None;
            o.Engine.Approval = ApprovalPolicy.Mhrs;
            o.VersionCheckInterval = null;
        });
        var a = await nodes.AddAsync();
        var b = await nodes.AddAsync();
        await PublishSettledAsync(nodes, a, b, Calendar);
        var reloads = b.Feed.Reloads;

        var direct = await a.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(0), ContractWorld.Patient(1)));
        var hold = await a.ClaimAsync(ClaimRequest.Hold(Calendar, SlotRange.Single(1), ContractWorld.Patient(2), TimeSpan.FromMinutes(5)));
        var confirmed = await a.ConfirmAsync(hold.Reservation);
        Assert.True(direct.Succeeded && confirmed.Succeeded);
        Assert.NotNull(direct.Reservation.HoldExpiresAt); // both await approval
        Assert.NotNull(confirmed.Reservation.HoldExpiresAt);

        await Eventually.TrueAsync(
            () => b.ReadModel.GetCalendar(Calendar) is var seen && seen[0].AwaitsApproval && seen[1].AwaitsApproval,
            "node B's read model to show both bookings awaiting approval");
        var awaiting = b.ReadModel.GetCalendar(Calendar);
        Assert.Equal(direct.Reservation.HoldExpiresAt, awaiting[0].HoldExpiresAt);
        Assert.Equal(confirmed.Reservation.HoldExpiresAt, awaiting[1].HoldExpiresAt);
        Assert.Equal(reloads, b.Feed.Reloads); // laid in from the deltas, not reloaded

        // A node that loads the calendar from the stored claims reads the flag there.
        var c = await nodes.AddAsync();
        await Eventually.TrueAsync(
            async () => (await c.GetCalendarAsync(Calendar)) is var loaded && loaded[0].AwaitsApproval && loaded[1].AwaitsApproval,
            "node C's loaded calendar to show both bookings awaiting approval");

        Assert.True((await a.ApproveAsync(direct.Reservation)).Succeeded);
        Assert.True((await a.ApproveAsync(confirmed.Reservation)).Succeeded);

        await Eventually.TrueAsync(
            () => b.ReadModel.GetCalendar(Calendar) is var seen && seen[0].Status == SlotStatus.Booked && seen[1].Status == SlotStatus.Booked,
            "node B's read model to show both approved");
        var approved = b.ReadModel.GetCalendar(Calendar);
        Assert.False(approved[0].AwaitsApproval);
        Assert.False(approved[1].AwaitsApproval);
        Assert.Equal(reloads, b.Feed.Reloads);
    }

}
