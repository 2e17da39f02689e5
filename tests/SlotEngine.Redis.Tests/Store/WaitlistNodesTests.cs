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
