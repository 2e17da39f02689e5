using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>
/// The release schedule and reservation are stored with the day when it is published, and the claim script judges
/// them from that stored copy (issue 12's leftovers): two nodes whose options differ give the same answers, so a
/// node without the policies can neither open a day early nor take a seat the day reserves. Instants lie days away.
/// </summary>
public sealed class RushNodesTests(StandaloneServerFixture fixture) : IClassFixture<StandaloneServerFixture>
{
    private static CalendarKey Day => new(ContractWorld.Doctor, ContractWorld.Day);

    [Fact]
    public async Task A_node_without_the_release_policy_cannot_claim_a_day_before_the_publishers_schedule_opens_it()
    {
        await using var nodes = new StoreNodes(fixture.Server.ConnectionString);
        // Day = today + 3 opens at its own 01:00 for the publishing node: three days from now.
        var publisher = await nodes.AddAsync(o => o.Engine.Release = new ReleasePolicy(0, TimeSpan.FromHours(1)));
        var plain = await nodes.AddAsync();
        await publisher.PublishAsync(Day.Provider, Day.Day, ContractWorld.Standard);
        await plain.WatchAsync(Day.Provider, Day.Day, Day.Day);

        Assert.Equal(ClaimStatus.NotYetOpen, (await plain.ClaimAsync(ClaimRequest.Book(Day, SlotRange.Single(0), ContractWorld.Patient(1)))).Status);
        Assert.Equal(ClaimStatus.NotYetOpen, (await publisher.ClaimAsync(ClaimRequest.Book(Day, SlotRange.Single(0), ContractWorld.Patient(1)))).Status);
    }

    [Fact]
    public async Task A_node_with_a_looser_schedule_is_held_to_the_stored_one_and_the_stricter_node_to_its_own_day()
    {
        await using var nodes = new StoreNodes(fixture.Server.ConnectionString);
        var strict = await nodes.AddAsync(o => o.Engine.Release = new ReleasePolicy(0, TimeSpan.FromHours(1)));
        var loose = await nodes.AddAsync(o => o.Engine.Release = new ReleasePolicy(15, TimeSpan.FromHours(10)));
        var other = new CalendarKey(ContractWorld.SameClinic, ContractWorld.Day);
        await strict.PublishAsync(Day.Provider, Day.Day, ContractWorld.Standard);
        await loose.PublishAsync(other.Provider, other.Day, ContractWorld.Standard);
        await loose.WatchAsync(Day.Provider, Day.Day, Day.Day);
        await strict.WatchAsync(other.Provider, other.Day, other.Day);

        // The strict node's day is not open for the loose node either; the loose node's day is open for the strict one.
        Assert.Equal(ClaimStatus.NotYetOpen, (await loose.ClaimAsync(ClaimRequest.Book(Day, SlotRange.Single(0), ContractWorld.Patient(1)))).Status);
        Assert.True((await strict.ClaimAsync(ClaimRequest.Book(other, SlotRange.Single(0), ContractWorld.Patient(2)))).Succeeded);
    }

    [Fact]
    public async Task A_node_without_the_reservation_is_refused_the_pools_seats_of_a_day_published_with_it()
    {
        await using var nodes = new StoreNodes(fixture.Server.ConnectionString);
        var publisher = await nodes.AddAsync(o => o.Engine.Reserved = new ReservedCapacity("fd", 1, 2, TimeSpan.Zero));
        var plain = await nodes.AddAsync();
        await publisher.PublishAsync(Day.Provider, Day.Day, ContractWorld.Standard);
        await plain.WatchAsync(Day.Provider, Day.Day, Day.Day);

        Assert.Equal(ClaimStatus.ReservedForPool, (await plain.ClaimAsync(ClaimRequest.Book(Day, SlotRange.Single(0), ContractWorld.Patient(1)))).Status);
        Assert.True((await plain.ClaimAsync(ClaimRequest.Book(Day, SlotRange.Single(0), ContractWorld.Patient(2)) with { Pool = "fd" })).Succeeded);

        // The plain node's read model knows the day's reservation too: its searches hide the reserved starts.
        var starts = await plain.FindEarliestAsync(EarliestQuery.ForProviders([Day.Provider], Day.Day, Day.Day, 1, 2).WithStartsPerCalendar(2));
        Assert.Equal([1, 3], starts.Select(s => s.Slots.First));
    }

    [Fact]
    public async Task Publishing_a_day_again_from_a_node_with_other_policies_is_a_template_conflict()
    {
        await using var nodes = new StoreNodes(fixture.Server.ConnectionString);
        var publisher = await nodes.AddAsync(o => o.Engine.Release = new ReleasePolicy(0, TimeSpan.FromHours(1)));
        var plain = await nodes.AddAsync();
        await publisher.PublishAsync(Day.Provider, Day.Day, ContractWorld.Standard);
        await publisher.PublishAsync(Day.Provider, Day.Day, ContractWorld.Standard); // the same node again: nothing changes

        var error = await Assert.ThrowsAsync<SlotEngineArgumentException>(async () => await plain.PublishAsync(Day.Provider, Day.Day, ContractWorld.Standard));
        Assert.Equal(SlotEngineError.TemplateConflict, error.Code);
    }
}
