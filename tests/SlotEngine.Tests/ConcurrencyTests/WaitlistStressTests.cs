using System.Collections.Concurrent;
using SlotEngine.Tests.Support;

namespace SlotEngine.Tests.ConcurrencyTests;

/// <summary>
/// Threads started together free the bookings of a full 144-slot day while others register wishes (two priority
/// groups) for it, in the clinic's scope and in its city and branch scope. Every freed slot must be offered exactly
/// once (no seat offered twice, none left free while a wish waits), and within each scope and group the wishes
/// offered must be the earliest registered (a FIFO violation would leave an earlier wish waiting behind a later one).
/// </summary>
[Trait("Category", "Scan")]
public class WaitlistStressTests
{
    private const int Slots = 144;
    private const int Freers = 4;
    private const int Registrants = 4;
    private const int WishesPerRegistrant = 60;

    [Fact]
    public void Freed_slots_are_offered_once_each_in_FIFO_order_within_each_group()
    {
        var offers = new ConcurrentQueue<WaitlistOffer>();
        var world = new TestWorld(o =>
        {
            o.Quotas = QuotaPolicy.None;
            o.Waitlist = new WaitlistPolicy(TimeSpan.FromMinutes(15), priorityGroups: 2) { OfferMade = offers.Enqueue };
        });
        var engine = world.Engine;
        var calendar = world.Publish(TestWorld.P1, TestWorld.Tomorrow, TestWorld.Wide);
        var bookings = new Reservation[Slots];
        for (var slot = 0; slot < Slots; slot++)
        {
            bookings[slot] = world.MustBook(calendar, slot, 1, 1_000 + slot);
        }

        var scopes = new[] { WaitlistScope.ForClinic(TestWorld.C10), WaitlistScope.ForCityBranch(TestWorld.Istanbul34, TestWorld.Branch5) };
        var tickets = new ConcurrentBag<(WishTicket Ticket, int Group)>();
        using var start = new Barrier(Freers + Registrants);
        var threads = new List<Thread>();
        for (var f = 0; f < Freers; f++)
        {
            var first = f;
            threads.Add(new Thread(() =>
            {
                start.SignalAndWait();
                for (var slot = first; slot < Slots; slot += Freers)
                {
                    Assert.True(engine.TryRelease(bookings[slot]).Succeeded);
                }
            }));
        }

        for (var r = 0; r < Registrants; r++)
        {
            var thread = r;
            threads.Add(new Thread(() =>
            {
                var random = new Random(thread);
                start.SignalAndWait();
                for (var i = 0; i < WishesPerRegistrant; i++)
                {
                    var group = random.Next(2);
                    var scope = scopes[random.Next(2)];
                    var ticket = engine.RegisterWish(new WishRequest(scope, TestWorld.Tomorrow, TestWorld.Tomorrow, 1, world.Patient(thread * WishesPerRegistrant + i), group));
                    tickets.Add((ticket, group));
                }
            }));
        }

        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        // Every slot freed was offered, once: as many offers as slots, on distinct slots, each a live hold of its wish's patient.
        var made = offers.ToArray();
        Assert.Equal(Slots, made.Length);
        Assert.Equal(Slots, made.Select(o => o.Reservation.Slots.First).Distinct().Count());
        Assert.Equal(Slots, made.Select(o => o.Wish).Distinct().Count());
        var snapshot = engine.GetCalendar(calendar);
        foreach (var offer in made)
        {
            var seat = snapshot[offer.Reservation.Slots.First];
            Assert.Equal((SlotStatus.Held, offer.Patient, offer.Reservation.Token), (seat.Status, seat.Owner, seat.Token));
            Assert.Equal(WishState.Offered, engine.GetWish(offer.Wish)!.State);
        }

        // FIFO within each scope and group: the wishes offered are the earliest registered there.
        var offered = made.Select(o => o.Wish).ToHashSet();
        foreach (var group in tickets.GroupBy(t => (t.Ticket.Scope, t.Group)))
        {
            var inOrder = group.OrderBy(t => t.Ticket.Id).Select(t => offered.Contains(t.Ticket)).ToArray();
            var served = inOrder.TakeWhile(o => o).Count();
            Assert.True(inOrder.Skip(served).All(o => !o), $"{group.Key}: a later wish was offered while an earlier one waits ({string.Join("", inOrder.Select(o => o ? '1' : '0'))})");
        }

        world.AssertInvariants();
    }
}
