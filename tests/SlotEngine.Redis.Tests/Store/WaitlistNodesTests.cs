using System.Collections.Concurrent;
using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>
/// The waitlist's cross-node protocol (docs/waitlist.md): two nodes free the slots of six calendars at once while
/// 30 wishes wait in their clinic's scope. Every freed slot must be offered exactly once, and the wishes offered
/// must be the first in (group, arrival) order: all of group 0, then the earliest of group 1. On one Redis, and on
/// the three-primary cluster, where the wishes (one scope's tag) and the calendars live on different shards.
/// </summary>
public sealed class WaitlistNodesTests(StandaloneServerFixture fixture) : IClassFixture<StandaloneServerFixture>
{
    [Fact]
    public Task Two_nodes_offer_each_freed_slot_once_in_FIFO_order() => WaitlistNodes.RunAsync(fixture.Server.ConnectionString);

    [Fact]
    public async Task A_wish_leased_by_a_node_that_died_goes_back_to_its_place_and_is_offered_first()
    {
        var (nodes, node, bookings) = await WaitlistNodes.FullClinicAsync(fixture.Server.ConnectionString);
        await using var _ = nodes;
        var first = await node.RegisterWishAsync(WaitlistNodes.Wish(1));
        var second = await node.RegisterWishAsync(WaitlistNodes.Wish(2));

        // A node leased the first wish (wait_lease.lua) and died before settling it: its lease has ended.
        var db = node.Multiplexer.GetDatabase();
        var tag = nodes.Prefix + "{w:c:20}";
        await db.SortedSetRemoveAsync(tag + ":q", first.Id);
        await db.HashSetAsync(tag + ":s", first.Id, "l");
        await db.SortedSetAddAsync(tag + ":l", first.Id, DateTimeOffset.UtcNow.AddSeconds(-1).ToUnixTimeMilliseconds());
        Assert.Equal(0, (await node.GetWishAsync(second))!.Position);

        Assert.True((await node.ReleaseAsync(bookings[0])).Succeeded);

        Assert.Equal(WishState.Offered, (await node.GetWishAsync(first))!.State);
        Assert.Equal((WishState.Waiting, 0), ((await node.GetWishAsync(second))!.State, (await node.GetWishAsync(second))!.Position));
    }

    [Fact]
    public async Task A_calendar_left_for_an_offerer_that_died_is_offered_when_its_lock_lapses_and_the_scope_moves_again()
    {
        var (nodes, node, bookings) = await WaitlistNodes.FullClinicAsync(fixture.Server.ConnectionString);
        await using var _ = nodes;
        var first = await node.RegisterWishAsync(WaitlistNodes.Wish(1));

        // Another node holds the scope's offer lock and dies: the release leaves its calendar pending.
        var db = node.Multiplexer.GetDatabase();
        var lockKey = nodes.Prefix + "{w:c:20}:k";
        // The lock outlives the release however slow the machine (a 300 ms one could lapse before the release looked at
        // it, and the wish was offered at once); the test then makes it lapse, by Redis's expiry as a dead node's would.
        Assert.True(await db.StringSetAsync(lockKey, "dead-node", TimeSpan.FromMinutes(5), StackExchange.Redis.When.NotExists));
        Assert.True((await node.ReleaseAsync(bookings[0])).Succeeded);
        Assert.Equal(WishState.Waiting, (await node.GetWishAsync(first))!.State);

        Assert.True(await db.KeyExpireAsync(lockKey, TimeSpan.FromMilliseconds(1)));
        await Eventually.TrueAsync(async () => !await db.KeyExistsAsync(lockKey), "the dead node's lock lapses");
        var second = await node.RegisterWishAsync(WaitlistNodes.Wish(2)); // the scope moves: a registration looks for free slots

        Assert.Equal(WishState.Offered, (await node.GetWishAsync(first))!.State);
        Assert.Equal(WishState.Waiting, (await node.GetWishAsync(second))!.State);
    }
}

[Collection(ClusterCollection.Name)]
public sealed class WaitlistClusterTests(ClusterFixture fixture)
{
    [Fact]
    public Task Two_nodes_on_a_cluster_offer_each_freed_slot_once_in_FIFO_order() => WaitlistNodes.RunAsync(fixture.Cluster.ConnectionString);
}

internal static class WaitlistNodes
{
    private static readonly DayTemplate Small = new([new Session(new TimeOnly(9, 0), new TimeOnly(9, 30))], TimeSpan.FromMinutes(10));
    private static readonly ProviderId[] Providers = Enumerable.Range(500, 6).Select(i => new ProviderId(i)).ToArray();
    private static readonly ClinicId Clinic = new(20);

    public static WishRequest Wish(int patient) => new(WaitlistScope.ForClinic(Clinic), ContractWorld.Day, ContractWorld.Day, 1, ContractWorld.Patient(patient));

    /// <summary>One node, waitlist on, the first provider's day published and its three slots booked.</summary>
    public static async Task<(StoreNodes Nodes, RedisSlotEngine Node, Reservation[] Bookings)> FullClinicAsync(string connectionString)
    {
        var nodes = new StoreNodes(connectionString, o =>
        {
            o.Engine.Quotas = QuotaPolicy.None;
            o.Engine.Waitlist = new WaitlistPolicy(TimeSpan.FromMinutes(15));
        });
        var node = await nodes.AddAsync();
        node.Directory.AddProvider(Providers[0], Clinic);
        await node.PublishAsync(Providers[0], ContractWorld.Day, Small);
        var bookings = new Reservation[3];
        for (var slot = 0; slot < 3; slot++)
        {
            var booked = await node.ClaimAsync(ClaimRequest.Book(new CalendarKey(Providers[0], ContractWorld.Day), SlotRange.Single(slot), ContractWorld.Patient(900 + slot)));
            Assert.True(booked.Succeeded, booked.ToString());
            bookings[slot] = booked.Reservation;
        }

        return (nodes, node, bookings);
    }

    public static async Task RunAsync(string connectionString)
    {
        var offers = new ConcurrentQueue<WaitlistOffer>();
        await using var nodes = new StoreNodes(connectionString, o =>
        {
            o.Engine.Quotas = QuotaPolicy.None;
            o.Engine.Waitlist = new WaitlistPolicy(TimeSpan.FromMinutes(15), priorityGroups: 2) { OfferMade = offers.Enqueue };
        });
        var a = await nodes.AddAsync();
        var b = await nodes.AddAsync();
        foreach (var node in nodes.All)
        {
            foreach (var provider in Providers)
            {
                node.Directory.AddProvider(provider, Clinic);
            }
        }

        var bookings = new List<Reservation>();
        foreach (var provider in Providers)
        {
            await a.PublishAsync(provider, ContractWorld.Day, Small);
            for (var slot = 0; slot < 3; slot++)
            {
                var booked = await a.ClaimAsync(ClaimRequest.Book(new CalendarKey(provider, ContractWorld.Day), SlotRange.Single(slot), ContractWorld.Patient(900 + bookings.Count)));
                Assert.True(booked.Succeeded, booked.ToString());
                bookings.Add(booked.Reservation);
            }
        }

        var wishes = new List<(WishTicket Ticket, int Group)>();
        for (var i = 0; i < 30; i++)
        {
            var group = i % 3 == 0 ? 0 : 1;
            var node = i % 2 == 0 ? a : b;
            wishes.Add((await node.RegisterWishAsync(new WishRequest(WaitlistScope.ForClinic(Clinic), ContractWorld.Day, ContractWorld.Day, 1, ContractWorld.Patient(i), group)), group));
        }

        Assert.Empty(offers);

        // Both nodes free all 18 slots at once.
        await Task.WhenAll(bookings.Select((booking, i) => Task.Run(async () =>
            Assert.True((await (i % 2 == 0 ? a : b).ReleaseAsync(booking)).Succeeded))));

        var made = offers.ToArray();
        Assert.Equal(18, made.Length);
        Assert.Equal(18, made.Select(o => (o.Reservation.Calendar, o.Reservation.Slots.First)).Distinct().Count());
        var expected = wishes.Where(w => w.Group == 0).Concat(wishes.Where(w => w.Group == 1).Take(8)).Select(w => w.Ticket.Id).Order();
        Assert.Equal(expected, made.Select(o => o.Wish.Id).Order());
        foreach (var offer in made)
        {
            Assert.Equal(ClaimStatus.Taken, (await b.ClaimAsync(ClaimRequest.Book(offer.Reservation.Calendar, offer.Reservation.Slots, ContractWorld.Patient(999)))).Status);
            Assert.Equal(WishState.Offered, (await b.GetWishAsync(offer.Wish))!.State);
        }

        var waiting = wishes.Where(w => w.Group == 1).Skip(8).Select((w, i) => (w.Ticket, Place: i)).ToArray();
        foreach (var (ticket, place) in waiting)
        {
            var view = (await a.GetWishAsync(ticket))!;
            Assert.Equal((WishState.Waiting, place), (view.State, view.Position));
        }
    }
}
